// Package lint holds the house rules that the compiler does not: its test
// fails, naming the file and the import, when a package breaks one.
//
// # Import direction
//
// Data flows one way: data -> features -> jobs -> cmd, and model -> jobs.
// Each top-level folder is a layer and may import only the layers listed
// for it in lint_test.go: model imports neither data nor features,
// features does not import model, and nothing imports cmd or notebooks.
// A package under internal/ at the module root is neutral ground that any
// layer may import and that imports no layer. A new top-level folder must
// be given its place in that table before the test passes.
//
// The sub-packages of jobs (ingest, segment, trainset, lock, metrics,
// lists, serve) are the machinery of its pipelines: none of them imports
// jobs.
//
// # Third-party libraries stay behind their owner
//
// Arrow and parquet-go are imported only in data and its sub-packages,
// golearn only in model/internal/golearnrf, zerolog only in jobs and cmd.
// The exceptions are listed, with their reason, beside the rules.
//
// # features does no I/O and no logging
//
// The non-test files of features and its sub-packages import nothing that
// reaches files, the network or a log (os, io/fs, path/filepath, net, log,
// log/slog), and print nothing. Only the files that map off-heap memory
// (offheap*.go) may make system calls.
//
// # Doc comments name what they document
//
// A function's doc comment in a non-test file begins with the function's
// name, so that a renamed function cannot keep a comment that names
// another.
//
// The rules cover every Go file of a package, whatever its build tags, and
// test files too, except where a rule says otherwise. The import rules
// also cover the import declarations in the code cells of
// notebooks/*.ipynb.
package lint
