package jobs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestREADMEConfigIsTheDefaults: the config file the README shows, with
// every key, loads without error and gives exactly the defaults, so the
// README cannot drift from the code.
func TestREADMEConfigIsTheDefaults(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "## Configuration")
	if !ok {
		t.Fatal("README.md has no Configuration section")
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	if !ok {
		t.Fatal("README.md's Configuration section has no yaml block")
	}
	block, _, _ = strings.Cut(block, "```")
	path := filepath.Join(t.TempDir(), "churn.yaml")
	if err := os.WriteFile(path, []byte(block), 0o644); err != nil {
		t.Fatal(err)
	}
	got := DefaultConfig()
	if err := LoadConfigFile(&got, path); err != nil {
		t.Fatalf("README config: %v", err)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("README config does not validate: %v", err)
	}
	want := DefaultConfig()
	// Empty maps and lists in the file stand for "none": the same as nil.
	got.Mapping, want.Mapping = nil, nil
	got.Segments.Names, want.Segments.Names = nil, nil
	got.BadRows.OptionalFiles, want.BadRows.OptionalFiles = nil, nil
	got.Lists.Passthrough, want.Lists.Passthrough = nil, nil
	if len(got.Features.CoreEvents) == 0 {
		got.Features.CoreEvents = want.Features.CoreEvents
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("README config differs from the defaults:\n got  %+v\n want %+v", got, want)
	}
}
