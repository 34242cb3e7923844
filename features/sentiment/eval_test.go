package sentiment

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// uciDir holds the UCI "Sentiment Labelled Sentences" data set (Kotzias et
// al., KDD 2015): 1,000 sentences per file, half positive.
const uciDir = "../../../shared/datasets/sentiment_uci"

// Floors below which the scorer is considered broken. The figures reached
// are in doc.go.
const (
	minAccuracy   = 0.75
	minAUC        = 0.80
	minAccuracyPT = 0.85
	minAUCPT      = 0.90
)

type labelled struct {
	text  string
	label bool // true: positive
}

// readLabelled reads lines "sentence<TAB>label", split on the last tab, with
// no quote handling; lines are separated by '\n' only (imdb holds a U+0085).
func readLabelled(path string) ([]labelled, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []labelled
	for n, line := range bytes.Split(b, []byte("\n")) {
		s := strings.TrimSuffix(string(line), "\r")
		if strings.TrimSpace(s) == "" {
			continue
		}
		i := strings.LastIndexByte(s, '\t')
		if i < 0 {
			return nil, fmt.Errorf("%s:%d: no tab", path, n+1)
		}
		switch strings.TrimSpace(s[i+1:]) {
		case "0":
			out = append(out, labelled{s[:i], false})
		case "1":
			out = append(out, labelled{s[:i], true})
		default:
			return nil, fmt.Errorf("%s:%d: label %q", path, n+1, s[i+1:])
		}
	}
	return out, nil
}

// evaluate scores every sentence and returns the accuracy (a score above 0
// predicts positive; 0, including texts with no lexicon word, predicts
// negative) and the ROC AUC.
func evaluate(data []labelled, score func(string) float64) (acc, auc float64) {
	scores := make([]float64, len(data))
	labels := make([]bool, len(data))
	correct := 0
	for i, d := range data {
		scores[i] = score(d.text)
		labels[i] = d.label
		if (scores[i] > 0) == d.label {
			correct++
		}
	}
	return float64(correct) / float64(len(data)), rocAUC(scores, labels)
}

// rocAUC is the Mann-Whitney estimate of the area under the ROC curve, with
// tied scores given their mean rank (a tie counts one half).
func rocAUC(scores []float64, labels []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSumPos float64
	var nPos, nNeg int
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			if labels[idx[k]] {
				rankSumPos += mid
			}
		}
		i = j
	}
	for _, l := range labels {
		if l {
			nPos++
		} else {
			nNeg++
		}
	}
	if nPos == 0 || nNeg == 0 {
		return 0.5
	}
	u := rankSumPos - float64(nPos)*float64(nPos+1)/2
	return u / (float64(nPos) * float64(nNeg))
}

func TestRocAUC(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"inverted", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{"all tied", []float64{0, 0, 0, 0}, []bool{false, true, false, true}, 0.5},
		// 3 of the 4 positive-negative pairs ordered right.
		{"one swap", []float64{0.1, 0.3, 0.2, 0.4}, []bool{false, false, true, true}, 0.75},
	}
	for _, tt := range tests {
		if got := rocAUC(tt.scores, tt.labels); got != tt.want {
			t.Errorf("%s: rocAUC = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUCIEnglish(t *testing.T) {
	if _, err := os.Stat(uciDir); err != nil {
		t.Skipf("SKIPPED: UCI sentiment data set not found at %s (the shared datasets are absent beside this checkout): %v", uciDir, err)
	}
	for _, name := range []string{"amazon_cells_labelled.txt", "yelp_labelled.txt", "imdb_labelled.txt"} {
		t.Run(name, func(t *testing.T) {
			data, err := readLabelled(filepath.Join(uciDir, name))
			if err != nil {
				t.Fatal(err)
			}
			if len(data) != 1000 {
				t.Fatalf("read %d sentences, want 1000", len(data))
			}
			acc, auc := evaluate(data, Score)
			accEN, aucEN := evaluate(data, func(s string) float64 { return ScoreLang(s, English) })
			t.Logf("%s: accuracy %.3f, ROC AUC %.3f (language forced to English: %.3f, %.3f)", name, acc, auc, accEN, aucEN)
			if acc < minAccuracy {
				t.Errorf("accuracy %.3f, want >= %.2f", acc, minAccuracy)
			}
			if auc < minAUC {
				t.Errorf("ROC AUC %.3f, want >= %.2f", auc, minAUC)
			}
		})
	}
}

func TestPortugueseSupport(t *testing.T) {
	data, err := readLabelled(filepath.Join("testdata", "pt_support.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var pos int
	for _, d := range data {
		if d.label {
			pos++
		}
	}
	if len(data) < 200 || pos != len(data)-pos {
		t.Fatalf("pt_support.tsv: %d sentences, %d positive; want >= 200, balanced", len(data), pos)
	}
	acc, auc := evaluate(data, Score)
	var pt int
	for _, d := range data {
		if Detect(d.text) == Portuguese {
			pt++
		}
	}
	t.Logf("pt_support.tsv: %d sentences, accuracy %.3f, ROC AUC %.3f, detected as Portuguese %d", len(data), acc, auc, pt)
	if acc < minAccuracyPT {
		t.Errorf("accuracy %.3f, want >= %.2f", acc, minAccuracyPT)
	}
	if auc < minAUCPT {
		t.Errorf("ROC AUC %.3f, want >= %.2f", auc, minAUCPT)
	}
}
