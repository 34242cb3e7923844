package features

import (
	"fmt"
	"testing"
	"unsafe"
)

// TestTextMemo: remembered scores are the scores, each distinct text is
// scored once while the memo has room and every time after, and a text
// whose bytes are reused for another (as a reader's batch buffers are)
// gets the other's score.
func TestTextMemo(t *testing.T) {
	score := scoreText
	calls := 0
	scoreText = func(s string) float64 { calls++; return score(s) }
	defer func() { scoreText = score }()

	var m textMemo
	texts := []string{"Great service, thank you!", "Still broken after three calls.", "Não funciona, péssimo", "ok"}
	for range 3 {
		for _, s := range texts {
			if got, want := m.score(s), score(s); got != want {
				t.Errorf("score(%q) = %v, want %v", s, got, want)
			}
		}
	}
	if calls != len(texts) {
		t.Errorf("%d texts scored %d times, want once each", len(texts), calls)
	}

	buf := []byte("wonderful help")
	s := unsafe.String(&buf[0], len(buf))
	first := m.score(s)
	copy(buf, "terrible  help")
	if got, want := m.score(s), score("terrible  help"); got != want || got == first {
		t.Errorf("reused bytes: score %v, want %v (the first text scored %v)", got, want, first)
	}

	m = textMemo{}
	for i := range maxMemo {
		m.score(fmt.Sprint("text ", i))
	}
	calls = 0
	m.score("one text too many")
	m.score("one text too many")
	if calls != 2 || len(m.m) != maxMemo {
		t.Errorf("full memo: %d scorings of one new text, %d texts kept; want 2 and %d", calls, len(m.m), maxMemo)
	}
}

// TestVocab: names that share lengths and end bytes, more names than the
// cache holds, and names seen again all get the kind of their own name.
func TestVocab(t *testing.T) {
	b := &Builder{weights: map[string]int64{"login": 3 * micro, "lxgin": 5 * micro}, core: map[string]bool{"login": true, "lxgin": true}}
	var names []string
	for i := range 2 * maxVocab {
		names = append(names, fmt.Sprintf("e%02dx", i), fmt.Sprintf("e%02dy", i))
	}
	names = append(names, "login", "lxgin", "", "l")
	want := func(name string) eventKind {
		w, ok := b.weights[name]
		if !ok {
			w = micro
		}
		return eventKind{core: b.core[name], activity: true, weight: w, slot: b.cfg.EventVocab}
	}
	var v vocab
	for range 3 {
		for _, name := range names {
			got := v.lookup(name, b)
			got.name = ""
			if got != want(name) {
				t.Fatalf("lookup(%q) = %+v, want %+v", name, got, want(name))
			}
		}
	}
	if len(v.kinds) != maxVocab {
		t.Errorf("%d names cached, want %d", len(v.kinds), maxVocab)
	}
}
