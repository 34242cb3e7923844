package sentiment

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// Lang is a language code as in ISO 639-1.
type Lang string

// Languages Score can tell apart.
const (
	English    Lang = "en"
	Portuguese Lang = "pt"
	Unknown    Lang = ""
)

// Negative is the threshold the pipeline uses by default: a text scored
// below it counts as negative (features.Config.NegativeSentiment).
const Negative = -0.05

// Score returns the sentiment of text in [-1, 1]: below 0 negative, above 0
// positive, 0 for empty or neutral text. The language is detected per text
// with Detect; text in neither language is scored against both lexicons.
func Score(text string) float64 {
	return ScoreLang(text, Detect(text))
}

// ScoreLang is Score with the language given. Unknown scores against the
// union of both lexicons, English entries winning.
func ScoreLang(text string, lang Lang) float64 {
	l := lexicons()
	switch lang {
	case English:
		return score(text, l.en)
	case Portuguese:
		return score(text, l.pt)
	}
	return score(text, l.any)
}

// modifier is what a recent word does to the next sentiment words.
type modifier struct {
	boost  float64 // intensifier (+) or diminisher (-)
	negate bool
	role   role // what the word is to the never-so, comparative and request rules
}

// role marks the few function words that the rules below read.
type role uint8

const (
	roleNone   role = iota
	roleNever       // "never", "nunca": with so/this it intensifies (VADER)
	roleSo          // "so", "this", "such", "tão": after "never"
	roleBe          // "be", "been", "ser", "estar": before a comparative
	roleWould       // "would", "i'd": "would like" is a request
	roleFiller      // stopwords and the like: not an action a negator denies
	roleIdiom       // "wait", "mind": "can't wait", "don't mind" deny nothing
	roleRaise       // "think": "I don't think it's good" negates "good"
)

// scorer accumulates one text. It lives on the stack of score.
type scorer struct {
	lex      *lexicon
	sum      float64
	weight   float64 // afterButMult once a contrast word has been seen
	recent   [window]modifier
	mixedCap bool // the text has both ALL CAPS and other words

	// The open negation, for the denied-action rule: words read since the
	// negator (-1 when none is open), whether it reached a sentiment word,
	// and whether it reached an action (a word with no valence that is not
	// a filler).
	negAge            int
	negHit, negAction bool
	negIdiom          bool
	// raised: a negated opinion verb ("I don't think it is good") passes
	// the negation to the next sentiment word of the clause, however far;
	// a clause without one is a denied action ("I don't think we'll be
	// back").
	raised bool
}

// push records the modifier of the word just read, forgetting the oldest,
// and ages the open negation.
func (s *scorer) push(m modifier) {
	copy(s.recent[1:], s.recent[:window-1])
	s.recent[0] = m
	if s.negAge >= 0 {
		s.negAge++
		if s.negAge >= window {
			s.closeNegation()
		}
	}
}

// clause forgets negators and intensifiers at a clause boundary.
func (s *scorer) clause() {
	s.closeNegation()
	if s.raised {
		s.sum += deniedAction * s.weight // "I don't think we'll be back"
		s.raised = false
	}
	s.recent = [window]modifier{}
}

// closeNegation ends the open negation. A negator that denied an action
// and no sentiment word ("does not work", "cannot log in", "never
// arrived", "no one replied") states a failure, which is what a support
// ticket reports: it adds deniedAction.
func (s *scorer) closeNegation() {
	if s.negAge >= 0 && s.negAction && !s.negHit && !s.negIdiom {
		s.sum += deniedAction * s.weight
	}
	s.negAge, s.negHit, s.negAction, s.negIdiom = -1, false, false, false
}

// word scores one folded token. caps reports that the original was ALL CAPS.
func (s *scorer) word(w []byte, caps bool) {
	lex := s.lex
	r := lex.roles[string(w)]
	if lex.negators[string(w)] || isNegContraction(w) {
		s.closeNegation()
		s.push(modifier{negate: true, role: r})
		s.negAge = 0
		return
	}
	if lex.contrasts[string(w)] {
		s.clause()
		s.sum *= beforeButMult
		s.weight = afterButMult
		return
	}
	if b, ok := lex.boosters[string(w)]; ok {
		if caps && s.mixedCap {
			b += math.Copysign(capsIncr, b)
		}
		s.push(modifier{boost: b, role: r})
		return
	}
	v, ok := lex.words[string(w)]
	if !ok && s.recent[0].role == roleBe {
		v, ok = lex.comparative(w) // "never been faster"
	}
	if ok && v > 0 && s.recent[0].role == roleWould && lex.request[string(w)] {
		ok = false // "I would like", "I'd love": a request, not praise
	}
	if ok && s.negAge >= 0 && math.Abs(v) < weakValence && s.recent[0].role != roleBe {
		ok = false // "not working", "can't pay": a denied action, not a feeling
	}
	if !ok || v == 0 {
		if s.negAge >= 0 {
			switch {
			case r == roleRaise && s.negAge == 0:
				s.raised = true
				s.closeNegation()
			case r == roleIdiom:
				s.negIdiom = true
			case r == roleNone && !ok:
				s.negAction = true
			}
		}
		s.push(modifier{role: r})
		return
	}
	if caps && s.mixedCap {
		v += math.Copysign(capsIncr, v)
	}
	// Intensifiers fade with distance: 1, 0.95, 0.9 (VADER).
	negated, so := false, false
	for i, m := range s.recent {
		// A booster moves v away from 0, a diminisher towards it.
		if b := m.boost * (1 - 0.05*float64(i)); v > 0 {
			v += b
		} else {
			v -= b
		}
		if m.negate && !negated {
			negated = true
			// "never so", "never this": VADER intensifies instead.
			so = m.role == roleNever && s.soSince(i)
		}
	}
	if s.raised {
		negated, s.raised = true, false
	}
	switch {
	case negated && (so || s.comparative(w)):
		v *= neverSoMult
	case negated:
		v *= negScalar
	}
	if s.negAge >= 0 {
		s.negHit = true
	}
	s.sum += v * s.weight
	s.push(modifier{})
}

// soSince reports a "so" or "this" among the i most recent words.
func (s *scorer) soSince(i int) bool {
	for _, m := range s.recent[:i] {
		if m.role == roleSo {
			return true
		}
	}
	return false
}

// comparative reports a comparative after a form of "be", optionally with
// "more" between ("could not be happier", "never been better", "couldn't be
// more pleased"): a negated comparative says nothing could top it, so it
// intensifies rather than flips.
func (s *scorer) comparative(w []byte) bool {
	k := 0
	if s.recent[0].boost > 0 && s.recent[0].role != roleSo {
		k = 1 // "more" and other intensifiers
	}
	if s.recent[k].role != roleBe {
		return false
	}
	if k == 1 {
		return true
	}
	n := len(w)
	return n > 4 && w[n-2] == 'e' && w[n-1] == 'r' || string(w) == "worse" || string(w) == "pior" || string(w) == "melhor"
}

// isNegContraction reports words such as "shouldn't" that no list names.
func isNegContraction(w []byte) bool {
	n := len(w)
	return n > 3 && w[n-3] == 'n' && w[n-2] == '\'' && w[n-1] == 't'
}

func score(text string, lex *lexicon) float64 {
	s := scorer{lex: lex, weight: 1, mixedCap: mixedCaps(text), negAge: -1}
	exclaim := 0
	var arr [64]byte
	for i := 0; i < len(text); {
		// One whitespace-separated field at a time: an emoticon is a whole
		// field, anything else is split into words and punctuation.
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		start := i
		for i < len(text) && !isSpace(text[i]) {
			i++
		}
		field := text[start:i]
		if field == "" {
			continue
		}
		if v, ok := lex.words[field]; ok && !isWordish(field) {
			s.sum += v * s.weight
			s.push(modifier{})
			continue
		}
		for j := 0; j < len(field); {
			r, size := utf8.DecodeRuneInString(field[j:])
			if !isWordRune(r) {
				switch r {
				case '!':
					exclaim++
					s.clause()
				case '.', ',', ';', ':', '?', '(', ')':
					s.clause()
				}
				j += size
				continue
			}
			w := arr[:0]
			caps, letters := true, 0
			for j < len(field) {
				r, size = utf8.DecodeRuneInString(field[j:])
				if !isWordRune(r) && !(isJoiner(r) && j+size < len(field) && startsWord(field[j+size:])) {
					break
				}
				if unicode.IsLetter(r) {
					letters++
					caps = caps && unicode.IsUpper(r)
				}
				w = utf8.AppendRune(w, foldRune(r))
				j += size
			}
			s.word(w, caps && letters > 1)
		}
	}
	s.clause()
	sum := s.sum
	if sum != 0 {
		sum += math.Copysign(exclaimIncr*float64(min(exclaim, maxExclaim)), sum)
	}
	return sum / math.Sqrt(sum*sum+normAlpha)
}

// mixedCaps reports whether text has at least one ALL CAPS word of two or
// more letters and at least one word with a lower-case letter: only then do
// capitals stand out as emphasis (VADER's rule; a text typed in capitals
// throughout is not shouting every word).
func mixedCaps(text string) bool {
	upperWord, lowerWord := false, false
	upper, lower := 0, 0
	flush := func() {
		if upper > 1 && lower == 0 {
			upperWord = true
		}
		if lower > 0 {
			lowerWord = true
		}
		upper, lower = 0, 0
	}
	for _, r := range text {
		switch {
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		case r == '\'' || r == '\u2019':
		default:
			flush()
		}
	}
	flush()
	return upperWord && lowerWord
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// isWordRune reports letters and digits, which words are made of.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isJoiner reports characters kept inside a word when a letter follows:
// apostrophes ("don't", "d'água") and hyphens ("mal-educado").
func isJoiner(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '-'
}

func startsWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordRune(r)
}
