// Package data is the input contract of churn as code, and every byte that
// crosses the disk: dataset discovery, streaming Parquet readers, row
// validation, the output writers, the synthetic generator and the embedded
// sample dataset.
//
// # The contract
//
// Contract lists, for each of the six tables, its columns, their kinds and
// whether they are required. Customer, Session, Event, Ticket, Survey and
// Order are the rows that readers hand on: a null timestamp is NoTime, a null
// number NaN, a null string "".
package data
