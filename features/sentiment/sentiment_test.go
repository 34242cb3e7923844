package sentiment

import "testing"

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
