package sentiment

import (
	"bufio"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

//go:embed lexicon/*.tsv
var lexiconFS embed.FS

// afinnToVADER maps AFINN's integer scale (-5..5) onto VADER's (-4..4), so
// that entries from both sources weigh alike.
const afinnToVADER = 0.8

// Modifier strengths, from the VADER paper (Hutto & Gilbert 2014, section 3)
// and its reference implementation's constants.
const (
	boostIncr     = 0.293 // an intensifier such as "very" adds this much
	boostDecr     = -0.293
	capsIncr      = 0.733 // an ALL CAPS sentiment word among lower-case ones
	negScalar     = -0.74 // a negated word flips and loses a quarter
	exclaimIncr   = 0.292 // each '!' up to maxExclaim
	maxExclaim    = 4
	beforeButMult = 0.5  // clause before a contrast word
	afterButMult  = 1.5  // clause after it
	normAlpha     = 15   // score = s / sqrt(s*s + alpha)
	window        = 3    // words a negator or intensifier reaches
	neverSoMult   = 1.25 // "never so X", VADER's multiplier for its never-so rule
	// deniedAction is the valence of a negator that denies an action and no
	// sentiment word ("does not work", "unable to log in"); set, before any
	// measurement, to the strength of VADER's "problem" (-1.7) less a little,
	// as a failure reported without an emotive word.
	deniedAction = -1.5
	// weakValence: a negated word rated below this (VADER's "pay" -0.4,
	// "want" 0.3, "working" 0.5) is read as a denied action.
	weakValence = 1.0
)

// lexicon holds everything the scorer needs for one language. Keys are
// folded (lower case, accents stripped).
type lexicon struct {
	words     map[string]float64 // valence of words and emoticons
	negators  map[string]bool
	boosters  map[string]float64 // intensifiers > 0, diminishers < 0
	contrasts map[string]bool
	stopwords map[string]bool // evidence for Detect
	roles     map[string]role // function words the rules read
	request   map[string]bool // "like", "love": neutral after "would"
}

var lexicons = sync.OnceValue(loadLexicons)

type lexicons3 struct{ en, pt, any *lexicon }

func loadLexicons() lexicons3 {
	en := &lexicon{
		words:     map[string]float64{},
		negators:  set(negatorsEN),
		boosters:  boosters(intensifiersEN, diminishersEN),
		contrasts: set(contrastsEN),
		stopwords: set(stopwordsEN),
		roles:     roles(rolesEN, stopwordsEN, fillersEN),
		request:   set(requestEN),
	}
	mustLoad(en.words, "lexicon/vader_en.tsv", 1)
	mustLoad(en.words, "lexicon/support_en.tsv", 1)

	pt := &lexicon{
		words:     map[string]float64{},
		negators:  set(negatorsPT),
		boosters:  boosters(intensifiersPT, diminishersPT),
		contrasts: set(contrastsPT),
		stopwords: set(stopwordsPT),
		roles:     roles(rolesPT, stopwordsPT, fillersPT),
		request:   set(requestPT),
	}
	mustLoad(pt.words, "lexicon/afinn_pt.tsv", afinnToVADER)
	mustLoad(pt.words, "lexicon/support_pt.tsv", 1)

	// any serves text whose language Detect could not tell: English
	// entries win over Portuguese ones where the same folded word is in both.
	anyLang := &lexicon{
		words:     merge(pt.words, en.words),
		negators:  mergeSet(pt.negators, en.negators),
		boosters:  merge(pt.boosters, en.boosters),
		contrasts: mergeSet(pt.contrasts, en.contrasts),
		roles:     merge(pt.roles, en.roles),
		request:   mergeSet(pt.request, en.request),
	}
	return lexicons3{en: en, pt: pt, any: anyLang}
}

// mustLoad reads name (lines "entry<TAB>valence", '#' comments) into m,
// scaling each valence. Multi-word entries are skipped: the scorer matches
// single tokens. The files are embedded, so a bad one is a build defect and
// panics at first use, caught by every test.
func mustLoad(m map[string]float64, name string, scale float64) {
	f, err := lexiconFS.Open(name)
	if err != nil {
		panic(fmt.Sprintf("sentiment: open embedded %s: %v", name, err))
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		entry, val, ok := strings.Cut(text, "\t")
		if !ok {
			panic(fmt.Sprintf("sentiment: %s:%d: no tab", name, line))
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			panic(fmt.Sprintf("sentiment: %s:%d: %v", name, line, err))
		}
		if strings.Contains(entry, " ") {
			continue
		}
		if isWordish(entry) {
			entry = foldString(entry)
		}
		m[entry] = v * scale
	}
	if err := sc.Err(); err != nil {
		panic(fmt.Sprintf("sentiment: read %s: %v", name, err))
	}
}

// isWordish reports whether entry contains a letter, so that it is matched
// folded; pure-symbol emoticons such as ":)" keep their exact form.
func isWordish(entry string) bool {
	for _, r := range entry {
		if isWordRune(r) && !('0' <= r && r <= '9') {
			return true
		}
	}
	return false
}

func set(words []string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[foldString(w)] = true
	}
	return m
}

// comparative is the valence of a regular comparative whose base form is
// in the lexicon and it is not: "faster" from "fast", "nicer" from "nice",
// "easier" from "easy".
func (l *lexicon) comparative(w []byte) (float64, bool) {
	n := len(w)
	if n < 5 || w[n-2] != 'e' || w[n-1] != 'r' {
		return 0, false
	}
	if v, ok := l.words[string(w[:n-2])]; ok {
		return v, true
	}
	if v, ok := l.words[string(w[:n-1])]; ok {
		return v, true
	}
	if w[n-3] == 'i' {
		var buf [64]byte
		b := append(append(buf[:0], w[:n-3]...), 'y')
		if v, ok := l.words[string(b)]; ok {
			return v, true
		}
	}
	return 0, false
}

// roles gives every filler roleFiller, then the named roles, which win.
func roles(named map[role][]string, fillers ...[]string) map[string]role {
	m := map[string]role{}
	for _, list := range fillers {
		for _, w := range list {
			m[foldString(w)] = roleFiller
		}
	}
	for r, list := range named {
		for _, w := range list {
			m[foldString(w)] = r
		}
	}
	return m
}

func boosters(up, down []string) map[string]float64 {
	m := make(map[string]float64, len(up)+len(down))
	for _, w := range up {
		m[foldString(w)] = boostIncr
	}
	for _, w := range down {
		m[foldString(w)] = boostDecr
	}
	return m
}

// merge returns the union of maps; later maps win.
func merge[V any](ms ...map[string]V) map[string]V {
	out := map[string]V{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func mergeSet(a, b map[string]bool) map[string]bool { return merge(a, b) }

// The closed-class word lists below are written for this package; see
// doc.go. Contractions without the apostrophe are listed because tickets
// are typed in a hurry.
var (
	negatorsEN = []string{
		"not", "no", "never", "none", "nobody", "nothing", "neither", "nor",
		"nowhere", "without", "cannot", "can't", "cant", "don't", "dont",
		"doesn't", "doesnt", "didn't", "didnt", "isn't", "isnt", "aren't",
		"arent", "wasn't", "wasnt", "weren't", "werent", "won't", "wont",
		"wouldn't", "wouldnt", "shouldn't", "shouldnt", "couldn't",
		"couldnt", "haven't", "havent", "hasn't", "hasnt", "hadn't",
		"hadnt", "ain't", "aint", "mustn't", "needn't", "neednt", "unable",
	}
	intensifiersEN = []string{
		"very", "extremely", "really", "so", "too", "totally", "completely",
		"absolutely", "utterly", "highly", "incredibly", "super", "truly",
		"especially", "particularly", "deeply", "hugely", "enormously",
		"exceptionally", "terribly", "awfully", "remarkably", "thoroughly",
		"entirely", "most", "more", "quite", "pretty", "seriously",
		"insanely", "ridiculously", "unbelievably", "tremendously",
	}
	diminishersEN = []string{
		"slightly", "somewhat", "barely", "hardly", "scarcely", "little",
		"bit", "marginally", "partly", "kinda", "sorta", "almost", "less",
		"fairly", "rather", "mildly", "occasionally",
	}
	contrastsEN = []string{"but", "however", "nevertheless", "nonetheless"}

	// rolesEN names the words of the never-so ("never been so
	// disappointed"), comparative ("couldn't be happier") and request ("I
	// would like to") rules, and the idioms whose negation denies nothing
	// ("can't wait", "don't mind").
	rolesEN = map[role][]string{
		roleNever: {"never"},
		roleSo:    {"so", "this", "such"},
		roleBe:    {"be", "been", "being"},
		roleWould: {"would", "i'd", "we'd", "wd", "should"},
		roleIdiom: {"wait", "mind"},
		roleRaise: {"think", "suppose", "guess"},
	}
	// fillersEN, with the stopwords, are words a negator passes over
	// without denying an action ("no one has replied": "replied").
	fillersEN = []string{
		"a", "me", "us", "them", "him", "her", "any", "anything", "anyone",
		"even", "ever", "yet", "only", "much", "as", "so", "too", "really",
		"sure", "able", "always", "same", "these", "those", "which", "who",
		"he", "she", "were", "am", "could", "should", "may", "might", "must",
		"do", "doing", "more", "longer", "anymore",
	}
	requestEN = []string{"like", "love", "appreciate"}

	rolesPT = map[role][]string{
		roleNever: {"nunca", "jamais"},
		roleSo:    {"tão", "tanto", "tanta"},
		roleBe:    {"ser", "estar", "sido", "estado", "ficar"},
		roleWould: {"gostaria", "queria"},
		roleIdiom: {"esperar"},
		roleRaise: {"acho", "penso"},
	}
	fillersPT = []string{
		"a", "as", "me", "nos", "lhe", "te", "o", "ninguém", "mesmo",
		"sequer", "ainda", "mais", "nem", "consegui", "consigo", "conseguimos",
		"pode", "posso", "podemos", "vai", "vou", "tenho", "temos",
	}
	requestPT = []string{"gostar", "saber"}

	negatorsPT = []string{
		"não", "nao", "nunca", "nem", "jamais", "nenhum", "nenhuma", "nada",
		"ninguém", "sem", "tampouco",
	}
	intensifiersPT = []string{
		"muito", "muita", "muitos", "muitas", "super", "extremamente",
		"totalmente", "completamente", "absolutamente", "bastante", "demais",
		"tão", "realmente", "altamente", "incrivelmente",
		"imensamente", "profundamente", "mega", "tremendamente",
		"extraordinariamente", "sumamente", "bué", "demasiado", "mais",
	}
	diminishersPT = []string{
		"pouco", "pouca", "ligeiramente", "levemente", "meio", "quase",
		"razoavelmente", "relativamente", "menos",
	}
	contrastsPT = []string{"mas", "porém", "contudo", "todavia", "entretanto"}

	stopwordsEN = []string{
		"the", "and", "is", "it", "to", "of", "i", "you", "my", "this",
		"that", "was", "for", "with", "have", "are", "be", "on", "at",
		"they", "we", "your", "in", "not", "but", "just", "been",
		"has", "had", "will", "would", "can", "what", "when", "why", "how",
		"from", "an", "or", "if", "there", "their", "our", "its",
		"it's", "i'm", "don't", "very", "still", "please", "thanks", "get",
		"got", "did", "does", "all", "one", "about", "after", "again",
	}
	stopwordsPT = []string{
		"o", "os", "de", "do", "da", "dos", "das", "que", "e", "é",
		"não", "nao", "um", "uma", "para", "pra", "com", "por", "em",
		"na", "nos", "nas", "meu", "minha", "eu", "você", "voce", "vocês",
		"mas", "foi", "está", "esta", "estou", "ainda", "muito", "já",
		"sem", "isso", "isto", "ao", "aos", "pelo", "pela", "seu", "sua",
		"se", "tem", "ter", "também", "mais", "até", "depois", "quando",
		"porque", "há", "vocês", "agora", "ele", "ela", "obrigado",
		"obrigada", "dia", "nunca", "fiz", "vou", "pedido", "dias",
	}
)
