package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// layers maps each top-level folder of the module to the folders its
// packages may import (besides their own folder and the module's
// internal/). data -> features -> jobs -> cmd, model -> jobs; notebooks
// explore with the same packages and nothing imports them.
var layers = map[string][]string{
	"internal":  {},
	"data":      {},
	"features":  {"data"},
	"model":     {},
	"jobs":      {"data", "features", "model"},
	"cmd":       {"data", "features", "model", "jobs"},
	"notebooks": {"data", "features", "model", "jobs"},
}

// fence keeps a third-party library behind the packages that own it.
type fence struct {
	lib    string   // import path prefix of the library
	owners []string // module-relative package paths allowed to import it, with their sub-packages
	why    string
	// except lists module-relative packages whose test files may import
	// lib, each with its reason.
	except map[string]string
}

var fences = []fence{
	{
		lib: "github.com/apache/arrow/", owners: []string{"data"},
		why: "Parquet and Arrow are data's business: other packages use data's readers and writers",
	},
	{
		lib: "github.com/parquet-go/parquet-go", owners: []string{"data"},
		why: "Parquet and Arrow are data's business: other packages use data's readers and writers",
		except: map[string]string{
			"cmd/churn": "the end-to-end tests write their inputs with parquet-go's own GenericWriter, " +
				"an independent writer that shares no code with data, to check that churn reads files it did not write",
		},
	},
	{
		lib: "gocloud.dev/", owners: []string{"data/store"},
		why: "object storage is data/store's business: one Store for folders and buckets, one retry policy, one error classification",
	},
	{
		lib: "github.com/aws/", owners: []string{"data/store"},
		why: "object storage is data/store's business: one Store for folders and buckets, one retry policy, one error classification",
	},
	{
		lib: "github.com/johannesboyne/gofakes3", owners: []string{"internal/s3test"},
		why: "tests reach the fake S3 server through internal/s3test, which counts, throttles and seeds it",
	},
	{
		lib: "github.com/sjwhitworth/golearn", owners: []string{"model/internal/golearnrf"},
		why: "golearn's large interfaces stay behind the adapter",
	},
	{
		lib: "github.com/rs/zerolog", owners: []string{"jobs", "cmd"},
		why: "logging happens in jobs and cmd only; libraries return errors and counts",
	},
}

// featuresNoIO lists the imports that the non-test files of features may
// not use: features is pure, so it reaches no file, network or log.
var featuresNoIO = []string{
	"os", "os/exec", "os/signal", "io/fs", "io/ioutil", "path/filepath",
	"net", "net/http", "log", "log/slog",
}

// syscallImports may be used in features only by the off-heap files, which
// map anonymous memory.
var syscallImports = []string{"syscall", "golang.org/x/sys/unix", "golang.org/x/sys/windows"}

// pkg is what go list tells about one package of the module.
type pkg struct {
	ImportPath     string
	Dir            string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string // files left out by build tags: the rules hold on every platform
	TestGoFiles    []string
	XTestGoFiles   []string
}

// file is one parsed Go file of the module.
type file struct {
	rel  string // module-relative path of the file, for messages
	mod  string // the module's path
	pkg  string // module-relative package path
	test bool
	ast  *ast.File
	fset *token.FileSet
}

var (
	loadOnce   sync.Once
	loaded     []file
	loadErr    error
	moduleRoot string // the module's folder
	modulePath string
)

// moduleFiles lists every package of the module with go list and parses
// each of its Go files, whatever its build tags.
func moduleFiles(t *testing.T) []file {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = load() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	if len(loaded) == 0 {
		t.Fatal("go list found no Go files in the module")
	}
	return loaded
}

var (
	importBlock = regexp.MustCompile(`(?m)^\s*import\s*\(([^)]*)\)`)
	importLine  = regexp.MustCompile(`(?m)^\s*import\s+(?:[\w.]+\s+)?("[^"]+")`)
	quoted      = regexp.MustCompile(`"[^"]+"`)
)

// notebookFiles returns a file for each notebook under notebooks/, its
// imports taken from the import declarations of its code cells. Only the
// imports are filled in.
func notebookFiles(t *testing.T) []file {
	t.Helper()
	moduleFiles(t)
	paths, err := filepath.Glob(filepath.Join(moduleRoot, "notebooks", "*.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var files []file
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var nb struct {
			Cells []struct {
				CellType string          `json:"cell_type"`
				Source   json.RawMessage `json:"source"`
			} `json:"cells"`
		}
		if err := json.Unmarshal(b, &nb); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		f := file{rel: "notebooks/" + filepath.Base(path), mod: modulePath, pkg: "notebooks", ast: &ast.File{}}
		for _, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			var src string
			var lines []string
			if err := json.Unmarshal(c.Source, &lines); err == nil {
				src = strings.Join(lines, "")
			} else if err := json.Unmarshal(c.Source, &src); err != nil {
				t.Fatalf("%s: a cell's source: %v", path, err)
			}
			var specs []string
			for _, m := range importBlock.FindAllStringSubmatch(src, -1) {
				specs = append(specs, quoted.FindAllString(m[1], -1)...)
			}
			for _, m := range importLine.FindAllStringSubmatch(src, -1) {
				specs = append(specs, m[1])
			}
			for _, spec := range specs {
				f.ast.Imports = append(f.ast.Imports, &ast.ImportSpec{Path: &ast.BasicLit{Kind: token.STRING, Value: spec}})
			}
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("found no notebook under notebooks/: has the folder moved? The rules must follow it")
	}
	return files
}

func load() ([]file, error) {
	modPath, err := goCmd("list", "-m", "-f", "{{.Path}}\t{{.Dir}}")
	if err != nil {
		return nil, err
	}
	mod, root, ok := strings.Cut(strings.TrimSpace(string(modPath)), "\t")
	if !ok {
		return nil, fmt.Errorf("go list -m: unexpected output %q", modPath)
	}
	moduleRoot, modulePath = root, mod
	out, err := goCmd("list", "-e", "-json=ImportPath,Dir,GoFiles,CgoFiles,IgnoredGoFiles,TestGoFiles,XTestGoFiles", mod+"/...")
	if err != nil {
		return nil, err
	}
	var files []file
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
		fset := token.NewFileSet()
		add := func(names []string, test bool) error {
			for _, name := range names {
				if !strings.HasSuffix(name, ".go") {
					continue
				}
				path := filepath.Join(p.Dir, name)
				f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
				if err != nil {
					return err
				}
				relFile, err := filepath.Rel(root, path)
				if err != nil {
					return err
				}
				files = append(files, file{rel: filepath.ToSlash(relFile), mod: mod, pkg: rel, test: test, ast: f, fset: fset})
			}
			return nil
		}
		for _, names := range [][]string{p.GoFiles, p.CgoFiles, p.IgnoredGoFiles} {
			var code, tests []string
			for _, n := range names {
				if strings.HasSuffix(n, "_test.go") {
					tests = append(tests, n) // an ignored test file
				} else {
					code = append(code, n)
				}
			}
			if err := add(code, false); err != nil {
				return nil, err
			}
			if err := add(tests, true); err != nil {
				return nil, err
			}
		}
		if err := add(p.TestGoFiles, true); err != nil {
			return nil, err
		}
		if err := add(p.XTestGoFiles, true); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func goCmd(args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// imports returns f's import paths; the module's own packages come back
// module-relative, prefixed by "./".
func (f file) imports() []string {
	var paths []string
	for _, imp := range f.ast.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path == f.mod || strings.HasPrefix(path, f.mod+"/") {
			path = "./" + strings.TrimPrefix(strings.TrimPrefix(path, f.mod), "/")
		}
		paths = append(paths, path)
	}
	return paths
}

// pos names the line of n as file:line, module-relative.
func (f file) pos(n ast.Node) string {
	return fmt.Sprintf("%s:%d", f.rel, f.fset.Position(n.Pos()).Line)
}

// under reports whether the module-relative package p is dir or below it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

func topLevel(p string) string {
	top, _, _ := strings.Cut(p, "/")
	return top
}

func TestImportDirection(t *testing.T) {
	for _, f := range slices.Concat(moduleFiles(t), notebookFiles(t)) {
		from := topLevel(f.pkg)
		allowed, ok := layers[from]
		if !ok {
			t.Errorf("%s: package %s is in no layer: give its folder %q a place in lint_test.go's layers (data -> features -> jobs -> cmd, model -> jobs)", f.rel, f.pkg, from)
			continue
		}
		for _, imp := range f.imports() {
			rel, ok := strings.CutPrefix(imp, "./")
			if !ok {
				continue
			}
			to := topLevel(rel)
			if to == from || to == "internal" || slices.Contains(allowed, to) {
				continue
			}
			t.Errorf("%s imports %s: %s may import only %s (data -> features -> jobs -> cmd, model -> jobs; model needs neither data nor features)",
				f.rel, rel, from, strings.Join(append([]string{from, "internal"}, allowed...), ", "))
		}
	}
}

// TestJobsMachineryBelowPipelines: the sub-packages of jobs hold the
// machinery that the pipelines in jobs use, so none of them, tests
// included, imports jobs: they take what they need as parameters.
func TestJobsMachineryBelowPipelines(t *testing.T) {
	for _, f := range moduleFiles(t) {
		if f.pkg == "jobs" || !under(f.pkg, "jobs") {
			continue
		}
		for _, imp := range f.imports() {
			if imp == "./jobs" {
				t.Errorf("%s imports jobs: a sub-package of jobs is machinery for its pipelines and takes what it needs as parameters", f.rel)
			}
		}
	}
}

func TestThirdPartyFences(t *testing.T) {
	for _, f := range slices.Concat(moduleFiles(t), notebookFiles(t)) {
		for _, imp := range f.imports() {
			for _, fc := range fences {
				if !strings.HasPrefix(imp, fc.lib) {
					continue
				}
				if slices.ContainsFunc(fc.owners, func(o string) bool { return under(f.pkg, o) }) {
					continue
				}
				if _, ok := fc.except[f.pkg]; ok && f.test {
					continue
				}
				t.Errorf("%s imports %s: only %s and their sub-packages may import %s (%s)", f.rel, imp, strings.Join(fc.owners, ", "), fc.lib, fc.why)
			}
		}
	}
}

func TestFeaturesDoesNoIO(t *testing.T) {
	n := 0
	for _, f := range moduleFiles(t) {
		if !under(f.pkg, "features") || f.test {
			continue
		}
		n++
		offheap := strings.HasPrefix(filepath.Base(f.rel), "offheap")
		for _, imp := range f.imports() {
			if slices.Contains(featuresNoIO, imp) {
				t.Errorf("%s imports %s: features does no I/O and no logging; the caller (data, jobs) reads, writes and logs", f.rel, imp)
			}
			if slices.Contains(syscallImports, imp) && !offheap {
				t.Errorf("%s imports %s: in features only the off-heap files (offheap*.go) make system calls", f.rel, imp)
			}
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				if fn.Name == "print" || fn.Name == "println" {
					name = fn.Name
				}
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok && x.Name == "fmt" && strings.HasPrefix(fn.Sel.Name, "Print") {
					name = "fmt." + fn.Sel.Name
				}
			}
			if name != "" {
				t.Errorf("%s calls %s: features prints nothing; return what there is to say", f.pos(call), name)
			}
			return true
		})
	}
	if n == 0 {
		t.Fatal("found no non-test file in features: has the folder moved? The rule must follow it")
	}
}

// TestDocCommentsNameTheFunction holds Go's convention that a function's
// doc comment begins with its name ("Name does ...", or "Name: ..."):
// a comment that begins with another name has outlived a rename.
func TestDocCommentsNameTheFunction(t *testing.T) {
	for _, f := range moduleFiles(t) {
		if f.test {
			continue
		}
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Doc == nil || fn.Name.Name == "init" || fn.Name.Name == "main" {
				continue
			}
			text := fn.Doc.Text()
			if strings.HasPrefix(text, "go:") { // only directives
				continue
			}
			word, _, _ := strings.Cut(strings.TrimSpace(text), " ")
			word = strings.TrimRight(strings.TrimSuffix(word, "'s"), ".,:;")
			if word != fn.Name.Name {
				t.Errorf("%s: the doc comment of %s begins with %q: begin it with the name of the function it documents",
					f.pos(fn), fn.Name.Name, word)
			}
		}
	}
}
