package sentiment

import (
	"fmt"
	"strings"
	"testing"
)

// benchTexts are ticket-like texts of both languages and several lengths.
var benchTexts = []string{
	"Still waiting for my refund, very disappointed",
	"The app keeps crashing since the last update and support never answers. Please fix this, I am paying for nothing!",
	"Thanks, the problem was resolved quickly",
	"O atendimento foi péssimo, estou esperando o reembolso há duas semanas e ninguém resolve nada.",
	"Obrigado pela ajuda, muito atencioso!",
	"A encomenda chegou, mas veio avariada e o apoio ao cliente não responde.",
}

func BenchmarkScore(b *testing.B) {
	for _, words := range []int{10, 50, 200} {
		texts := make([]string, len(benchTexts))
		for i, t := range benchTexts {
			f := strings.Fields(t)
			for len(f) < words {
				f = append(f, f...)
			}
			texts[i] = strings.Join(f[:words], " ")
		}
		b.Run(fmt.Sprintf("words=%d", words), func(b *testing.B) {
			Score(texts[0]) // load the lexicons outside the timer
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for b.Loop() {
				Score(texts[n%len(texts)])
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "texts/s")
		})
	}
}
