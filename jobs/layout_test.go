package jobs

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// allowed says which of the project's top-level packages a package may
// import: data flows data -> features -> model -> jobs -> cmd, and model
// needs neither data nor features. internal holds neutral helpers (file
// system primitives) that every layer may use and that import none.
var allowed = map[string][]string{
	"internal":  {"internal"},
	"data":      {"internal", "data"},
	"features":  {"internal", "data", "features"},
	"model":     {"internal", "model"},
	"jobs":      {"internal", "data", "features", "model", "jobs"},
	"cmd":       {"internal", "data", "features", "model", "jobs", "cmd"},
	"notebooks": {"internal", "data", "features", "model", "jobs", "notebooks"},
}

// TestImportsFlowOneWay holds the layout of the module: no package imports
// one to its right, and every package belongs to a known top-level folder.
func TestImportsFlowOneWay(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", "churn/...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p struct {
			ImportPath   string
			Imports      []string
			TestImports  []string
			XTestImports []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		seen++
		top := topLevel(p.ImportPath)
		ok, known := allowed[top]
		if !known {
			t.Errorf("package %s is outside the fixed top-level folders", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, "churn/") {
				continue
			}
			if !contains(ok, topLevel(imp)) {
				t.Errorf("%s imports %s: data flows data -> features -> model -> jobs -> cmd", p.ImportPath, imp)
			}
		}
	}
	if seen < 4 {
		t.Fatalf("go list saw %d packages, want the whole module", seen)
	}
}

func topLevel(importPath string) string {
	rest := strings.TrimPrefix(importPath, "churn/")
	top, _, _ := strings.Cut(rest, "/")
	return top
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
