package main

import (
	"errors"
	"fmt"
	"strings"

	"churn/jobs"
)

// A runner hands the launcher a failed job's errors as text, inside its
// report of the failed bundle, their types lost: a DoFn that stops on
// invalid input (a corrupt file, a bad row under the fail policy, bad
// rows over the limit) would make churn-beam exit 1 where churn exits 2.
// So a DoFn returns such an error marked (markInput), and the launcher
// finds the mark in the job's error (inputFailure) and stops with the
// DoFn's own message as invalid input, the message churn gives.
const inputMark = "churn-beam invalid input >>> "

// markInput returns err, marked when it is invalid input.
func markInput(err error) error {
	if err != nil && errors.Is(err, jobs.ErrInvalidInput) && !strings.Contains(err.Error(), inputMark) {
		return fmt.Errorf("%s%w", inputMark, err)
	}
	return err
}

// inputFailure returns the invalid input that a DoFn marked in err, the
// error of a failed job, or nil when none did.
func inputFailure(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	i := strings.LastIndex(msg, inputMark)
	if i < 0 {
		return nil
	}
	return invalidInput(strings.TrimSpace(msg[i+len(inputMark):]))
}

// invalidInput is a DoFn's invalid input error as the launcher reads it:
// its message, which says "invalid input" already.
type invalidInput string

func (e invalidInput) Error() string        { return string(e) }
func (e invalidInput) Is(target error) bool { return target == jobs.ErrInvalidInput }
