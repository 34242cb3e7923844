package sentiment

import (
	"unicode"
	"unicode/utf8"
)

// foldRune lowers r and strips the diacritics of Latin letters used in
// English and Portuguese, so that "Péssimo", "PÉSSIMO" and "pessimo" meet the
// same lexicon entry. The typographic apostrophe becomes an ASCII one.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å', 'ª':
		return 'a'
	case 'ç', 'Ç':
		return 'c'
	case 'è', 'é', 'ê', 'ë', 'È', 'É', 'Ê', 'Ë':
		return 'e'
	case 'ì', 'í', 'î', 'ï', 'Ì', 'Í', 'Î', 'Ï':
		return 'i'
	case 'ñ', 'Ñ':
		return 'n'
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', 'º':
		return 'o'
	case 'ù', 'ú', 'û', 'ü', 'Ù', 'Ú', 'Û', 'Ü':
		return 'u'
	case 'ý', 'ÿ', 'Ý':
		return 'y'
	case '\u2019', '\u2018', '`', '´':
		return '\''
	}
	return unicode.ToLower(r)
}

// fold appends the folded form of s to dst and returns it.
func fold(dst []byte, s string) []byte {
	for _, r := range s {
		dst = utf8.AppendRune(dst, foldRune(r))
	}
	return dst
}

// foldString returns the folded form of s. It is used when loading
// lexicons, not on the scoring path.
func foldString(s string) string {
	return string(fold(make([]byte, 0, len(s)), s))
}

// isAccented reports whether r is a Latin letter with a diacritic, which is
// evidence for Portuguese in Detect.
func isAccented(r rune) bool {
	switch r {
	case 'ã', 'õ', 'ç', 'á', 'é', 'í', 'ó', 'ú', 'â', 'ê', 'ô', 'à',
		'Ã', 'Õ', 'Ç', 'Á', 'É', 'Í', 'Ó', 'Ú', 'Â', 'Ê', 'Ô', 'À':
		return true
	}
	return false
}
