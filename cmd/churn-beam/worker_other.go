//go:build !linux

package main

// startWorker prepares a worker process that a runner's boot loader
// started (--worker); off Linux (where runners' workers do not run) it
// does nothing.
func startWorker() {}
