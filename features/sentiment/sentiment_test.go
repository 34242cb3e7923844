package sentiment

import (
	"math"
	"strings"
	"testing"
)

func TestScoreSign(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int // -1 negative, 0 neutral, +1 positive
	}{
		{"empty", "", 0},
		{"neutral", "I have a question about my invoice", 0},
		{"positive en", "The support was great", 1},
		{"negative en", "This is the worst service", -1},
		{"positive pt", "Atendimento ótimo", 1},
		{"negative pt", "Atendimento péssimo", -1},
		{"negated en", "The app is not good", -1},
		{"negated pt", "O aplicativo não funciona", -1},
		{"negated negative en", "No problem at all", 1},
		{"negated negative pt", "Nada a reclamar", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.text)
			if sign(got) != tt.want {
				t.Errorf("Score(%q) = %.3f, want sign %d", tt.text, got, tt.want)
			}
		})
	}
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// TestRules checks each rule by comparing a text with a variant that
// differs only in what the rule reads.
func TestRules(t *testing.T) {
	tests := []struct {
		name     string
		base     string
		variant  string
		stronger bool // |Score(variant)| > |Score(base)|; else smaller
		flips    bool // the sign changes
	}{
		{"negation en", "The agent was helpful", "The agent was not helpful", false, true},
		{"negation contraction en", "It works", "It doesn't work well", false, true},
		{"negation window en", "never had a good experience", "never had it happen to me once, good experience", false, true},
		{"negation pt", "O atendimento foi bom", "O atendimento não foi bom", false, true},
		{"negation nunca pt", "Resolveram rápido", "Nunca resolveram rápido", false, true},
		{"negation nem pt", "foi útil", "nem foi útil", false, true},
		{"negation jamais pt", "recomendo", "jamais recomendo", false, true},
		{"negation ends at comma", "not bad", "not today, bad", true, true},
		{"intensifier en", "The app is slow", "The app is extremely slow", true, false},
		{"intensifier very en", "good support", "very good support", true, false},
		{"diminisher en", "The app is slow", "The app is slightly slow", false, false},
		{"intensifier muito pt", "O app é lento", "O app é muito lento", true, false},
		{"intensifier super pt", "atendimento rápido", "atendimento super rápido", true, false},
		{"diminisher pouco pt", "foi útil", "foi pouco útil", false, false},
		{"exclamation", "Terrible service", "Terrible service!!!", true, false},
		{"caps", "this is terrible, sorry", "this is TERRIBLE, sorry", true, false},
		{"caps pt", "isto é péssimo, desculpem", "isto é PÉSSIMO, desculpem", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, v := Score(tt.base), Score(tt.variant)
			if b == 0 {
				t.Fatalf("Score(%q) = 0, want a scored base", tt.base)
			}
			if got := math.Abs(v) > math.Abs(b); got != tt.stronger && !tt.flips {
				t.Errorf("|Score(%q)| = %.3f, |Score(%q)| = %.3f; want stronger %v", tt.variant, math.Abs(v), tt.base, math.Abs(b), tt.stronger)
			}
			if got := sign(v) != sign(b); got != tt.flips {
				t.Errorf("Score(%q) = %.3f, Score(%q) = %.3f; want sign flipped %v", tt.base, b, tt.variant, v, tt.flips)
			}
		})
	}
}

// TestSupportRules: the support-domain rules, each on the sentence that
// motivated it and on the nearest sentence it must leave alone.
func TestSupportRules(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int // -1 below Negative, 0 in [Negative, 0.05), +1 at or above 0.05
	}{
		{"asking words are neutral", "Please help, I have a question about support hours", 0},
		{"denied action", "Please help, I cannot log in", -1},
		{"denied action, unable", "Unable to reset my password", -1},
		{"denied action, no one", "No one has replied to my ticket", -1},
		{"denied action, never", "The confirmation email never arrived", -1},
		{"denied action pt", "Não consigo entrar na minha conta", -1},
		{"weak word denied", "The export is not working", -1},
		{"negated sentiment word still flips", "No problems at all", 1},
		{"never so intensifies", "I have never been so disappointed", -1},
		{"never so intensifies praise", "I have never been so happy with a service", 1},
		{"negated comparative", "I could not be happier with the service", 1},
		{"negated comparative, more", "We couldn't be more pleased", 1},
		{"negated comparative from its base", "The app has never been faster", 1},
		{"plain comparative negation", "The new version is not better", -1},
		{"opinion verb passes the negation", "I don't think you will be disappointed", 1},
		{"opinion verb, nothing to negate", "I don't think we will renew", -1},
		{"can't wait is not a failure", "I can't wait to try the new reports", 0},
		{"would like is a request", "I would like to add two users", 0},
		{"like is still praise", "I like the new dashboard", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.text)
			class := 0
			switch {
			case got < Negative:
				class = -1
			case got >= 0.05:
				class = 1
			}
			if class != tt.want {
				t.Errorf("Score(%q) = %.3f, want class %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestContrast(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int
	}{
		{"but en", "The agent was friendly but the problem is still not fixed", -1},
		{"but reversed en", "The wait was long but the agent was great", 1},
		{"however en", "Delivery was late, however the product is excellent", 1},
		{"mas pt", "O atendente foi simpático, mas o problema continua sem solução", -1},
		{"mas reversed pt", "Demorou, mas o atendimento foi excelente", 1},
		{"porém pt", "O preço é bom, porém a entrega foi péssima", -1},
		{"contudo pt", "Houve um atraso, contudo a equipe foi ótima", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Score(tt.text); sign(got) != tt.want {
				t.Errorf("Score(%q) = %.3f, want sign %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestAccentsAndCase(t *testing.T) {
	tests := []struct{ a, b string }{
		{"atendimento péssimo", "atendimento pessimo"},
		{"não funciona", "nao funciona"},
		{"serviço horrível", "servico horrivel"},
		{"Ótimo atendimento", "otimo atendimento"},
		{"ATENDIMENTO PÉSSIMO", "atendimento péssimo"}, // all caps throughout is not emphasis
		{"I don\u2019t like it", "I don't like it"},
	}
	for _, tt := range tests {
		a, b := ScoreLang(tt.a, Portuguese), ScoreLang(tt.b, Portuguese)
		if tt.a == "I don\u2019t like it" {
			a, b = ScoreLang(tt.a, English), ScoreLang(tt.b, English)
		}
		if a != b || a == 0 {
			t.Errorf("Score(%q) = %.3f, Score(%q) = %.3f; want equal and non-zero", tt.a, a, tt.b, b)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		text string
		want Lang
	}{
		{"", Unknown},
		{"12345", Unknown},
		{"I have been waiting for my refund for two weeks", English},
		{"The app keeps crashing when I open it", English},
		{"Estou esperando o reembolso há duas semanas", Portuguese},
		{"O aplicativo trava quando eu abro", Portuguese},
		{"A encomenda ainda não chegou", Portuguese},
		{"Péssimo serviço", Portuguese}, // accents alone
		{"Obrigado pela ajuda", Portuguese},
	}
	for _, tt := range tests {
		if got := Detect(tt.text); got != tt.want {
			t.Errorf("Detect(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestScoreRange(t *testing.T) {
	texts := []string{
		"GOOD GOOD GOOD great great excellent amazing love love love!!!!!!!!",
		"worst worst horrible TERRIBLE awful hate hate scam fraud!!!!!",
		strings.Repeat("péssimo ", 1000),
		":) :) :( <3",
		"\u0085\x00\xff invalid utf8 \xc3",
	}
	for _, text := range texts {
		for _, lang := range []Lang{English, Portuguese, Unknown} {
			if got := ScoreLang(text, lang); !(got >= -1 && got <= 1) {
				t.Errorf("ScoreLang(%.30q, %q) = %v, want in [-1, 1]", text, lang, got)
			}
		}
	}
}

func TestEmoticons(t *testing.T) {
	if got := Score("ok :)"); got <= Score("ok") {
		t.Errorf("Score(%q) = %.3f, want above Score(%q) = %.3f", "ok :)", got, "ok", Score("ok"))
	}
	if got := Score("order arrived :("); got >= 0 {
		t.Errorf("Score(%q) = %.3f, want negative", "order arrived :(", got)
	}
}

func FuzzScore(f *testing.F) {
	f.Add("Não funciona, PÉSSIMO!!! :(")
	f.Add("not very good, but fine")
	f.Fuzz(func(t *testing.T, text string) {
		if got := Score(text); !(got >= -1 && got <= 1) {
			t.Errorf("Score(%q) = %v, want in [-1, 1]", text, got)
		}
	})
}
