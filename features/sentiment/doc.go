// Package sentiment scores the sentiment of short customer texts (support
// tickets, survey comments) in English and Portuguese with a lexicon and a
// few rules, in pure Go with no network and no model files.
//
// # Use
//
//	s := sentiment.Score("Still waiting for my refund, very disappointed")
//	// s < 0: negative; s > 0: positive; 0: empty or neutral.
//
// Score detects the language of each text with Detect; ScoreLang takes it
// from the caller (a ticket's locale, say).
package sentiment
