package sentiment

import "unicode/utf8"

// Detect tells English from Portuguese by counting stopwords of each
// language among the words of text; each Portuguese diacritic (ã, ç, é, ...)
// counts as half a Portuguese stopword. It returns Unknown when neither
// language scores or both score alike.
func Detect(text string) Lang {
	l := lexicons()
	var en, pt float64
	var arr [64]byte
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		w := arr[:0]
		for i < len(text) {
			r, size = utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) && !(isJoiner(r) && i+size < len(text) && startsWord(text[i+size:])) {
				break
			}
			if isAccented(r) {
				pt += 0.5
			}
			w = utf8.AppendRune(w, foldRune(r))
			i += size
		}
		if l.en.stopwords[string(w)] {
			en++
		}
		if l.pt.stopwords[string(w)] {
			pt++
		}
	}
	switch {
	case en > pt:
		return English
	case pt > en:
		return Portuguese
	}
	return Unknown
}
