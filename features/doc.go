// Package features turns customer histories into feature vectors as of a
// cutoff instant. It is pure: no I/O, no logging, no goroutines.
package features
