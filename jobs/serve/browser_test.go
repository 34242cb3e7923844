package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"churn/jobs/lists/liststest"
)

// The browser test drives Debian's headless Chromium through chromedriver
// with the W3C WebDriver protocol, as a person would use the page.
const (
	chromiumPath     = "/usr/bin/chromium"
	chromedriverPath = "/usr/bin/chromedriver"
	// screenshotEnv, when set, also saves the screenshot there ("1" means
	// /tmp/serve.png).
	screenshotEnv = "CHURN_SERVE_SCREENSHOT"
	elementKey    = "element-6066-11e4-a52e-4f735466cecf"
)

// webDriver is one chromedriver session.
type webDriver struct {
	t       *testing.T
	base    string // http://127.0.0.1:PORT/session/ID
	timeout time.Duration
}

func (d *webDriver) call(method, path string, body any) json.RawMessage {
	d.t.Helper()
	v, err := d.try(method, path, body)
	if err != nil {
		d.t.Fatal(err)
	}
	return v
}

// errStale is the webdriver's answer for an element the page has replaced
// since it was found.
var errStale = errors.New("stale element reference")

// try is call returning the webdriver's error instead of failing the
// test; a stale element gives an error wrapping errStale.
func (d *webDriver) try(method, path string, body any) (json.RawMessage, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webdriver %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("webdriver %s %s: %w", method, path, err)
	}
	if res.StatusCode != 200 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(out.Value, &e) == nil && e.Error == "stale element reference" {
			return nil, fmt.Errorf("webdriver %s %s: %w", method, path, errStale)
		}
		return nil, fmt.Errorf("webdriver %s %s: %d %s", method, path, res.StatusCode, out.Value)
	}
	return out.Value, nil
}

// find returns the element id of the first match of a CSS selector,
// waiting for it to appear.
func (d *webDriver) find(css string) string {
	d.t.Helper()
	var id string
	d.waitFor("element "+css, func() bool {
		var els []map[string]string
		if err := json.Unmarshal(d.call("POST", "/elements", map[string]string{"using": "css selector", "value": css}), &els); err != nil {
			d.t.Fatal(err)
		}
		if len(els) == 0 {
			return false
		}
		id = els[0][elementKey]
		if id == "" {
			d.t.Fatalf("element %s: no W3C element id in %v", css, els[0])
		}
		return true
	})
	return id
}

// click clicks the first match of css, finding it again if the page
// replaced it meanwhile (see text).
func (d *webDriver) click(css string) {
	d.t.Helper()
	d.waitFor("a click on "+css, func() bool {
		_, err := d.try("POST", "/element/"+d.find(css)+"/click", map[string]any{})
		if errors.Is(err, errStale) {
			return false
		}
		if err != nil {
			d.t.Fatal(err)
		}
		return true
	})
}

// text returns the text of the first match of css. The page re-renders
// its table and detail as answers arrive, so an element found may be
// replaced before its text is read: it is then found again.
func (d *webDriver) text(css string) string {
	d.t.Helper()
	var s string
	d.waitFor("the text of "+css, func() bool {
		v, err := d.try("GET", "/element/"+d.find(css)+"/text", nil)
		if errors.Is(err, errStale) {
			return false
		}
		if err != nil {
			d.t.Fatal(err)
		}
		if err := json.Unmarshal(v, &s); err != nil {
			d.t.Fatal(err)
		}
		return true
	})
	return s
}

// script runs JavaScript in the page and decodes its result into out.
func (d *webDriver) script(js string, out any) {
	d.t.Helper()
	if err := json.Unmarshal(d.call("POST", "/execute/sync", map[string]any{"script": js, "args": []any{}}), out); err != nil {
		d.t.Fatal(err)
	}
}

func (d *webDriver) waitFor(what string, ok func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(d.timeout)
	for !ok() {
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out after %v waiting for %s", d.timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startBrowser starts chromedriver and a headless Chromium session.
func startBrowser(t *testing.T) *webDriver {
	for _, p := range []string{chromiumPath, chromedriverPath} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("\n\n*** SKIPPED: THE BROWSER TEST CANNOT RUN: %s IS MISSING. ***\n"+
				"*** Install Debian's packages: apt-get install -y chromium chromium-driver (.ci/run does) ***\n\n", p)
		}
	}
	port := freePort(t)
	cmd := exec.Command(chromedriverPath, "--port="+strconv.Itoa(port))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromedriver: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("chromedriver output:\n%s", logs.String())
		}
	})
	root := fmt.Sprintf("http://127.0.0.1:%d", port)
	d := &webDriver{t: t, base: root, timeout: 60 * time.Second}
	d.waitFor("chromedriver", func() bool {
		res, err := http.Get(root + "/status")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromiumPath,
			"args": []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
				"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
				"--user-data-dir=" + t.TempDir(), "--window-size=1400,1000"},
		},
	}}}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(d.call("POST", "/session", caps), &sess); err != nil || sess.SessionID == "" {
		t.Fatalf("new session: %v %q", err, sess.SessionID)
	}
	d.base = root + "/session/" + sess.SessionID
	t.Cleanup(func() { d.call("DELETE", "", nil) })
	return d
}

func TestBrowser(t *testing.T) {
	d := startBrowser(t)
	dir := t.TempDir()
	liststest.Write(t, dir, liststest.Run{AsOf: "2024-05-01", Customers: 3000, Seed: 1})
	liststest.Write(t, dir, liststest.Run{AsOf: "2024-06-01", Customers: 3000, Seed: 2, Odd: true})
	h, err := Handler(Options{Scores: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // 127.0.0.1
	defer srv.Close()

	// Open the page: run date, model version, chart, first page.
	d.call("POST", "/url", map[string]string{"url": srv.URL + "/"})
	d.find("body[data-ready='1']")
	if run := d.text("#run"); !strings.Contains(run, "2024-06-01") || !strings.Contains(run, "v0003") {
		t.Errorf("run line %q: want the date and the model version", run)
	}
	var bars int
	d.script(`return document.querySelectorAll("#chart rect.bar").length`, &bars)
	if bars != 6 {
		t.Errorf("chart has %d bars, want one per segment (6)", bars)
	}

	// Filter a segment, as a person picks it from the list.
	d.click(`#segment option[value="at_risk"]`)
	var segs []string
	d.waitFor("the at_risk rows", func() bool {
		d.script(`return Array.from(document.querySelectorAll("#rows tbody tr td:nth-child(2)")).map(td => td.textContent)`, &segs)
		if len(segs) == 0 {
			return false
		}
		for _, s := range segs {
			if s != "at risk" {
				return false
			}
		}
		return true
	})
	status := d.text("#status")
	total, err := strconv.Atoi(strings.ReplaceAll(strings.Fields(status)[0], ",", ""))
	if err != nil || total <= len(segs) {
		t.Fatalf("status %q: want more matches than one page (%d rows)", status, len(segs))
	}

	// Open the first customer.
	first := d.text("#rows tbody tr:first-child a.cust")
	d.click("#rows tbody tr:first-child a.cust")
	d.waitFor("the customer's detail", func() bool { return d.text("#detail-title") == "Customer "+first })
	var reasons, facts int
	d.script(`return document.querySelectorAll("#detail-reasons li").length`, &reasons)
	d.script(`return document.querySelectorAll("#detail-facts tbody tr").length`, &facts)
	if reasons != 3 || facts < 5 {
		t.Errorf("detail shows %d reasons and %d facts, want 3 and every fact", reasons, facts)
	}
	var history []string
	d.waitFor("the customer's history", func() bool {
		d.script(`return Array.from(document.querySelectorAll("#detail-history tbody tr td:first-child")).map(td => td.textContent)`, &history)
		return len(history) == 2
	})
	if history[0] != "2024-05-01" || history[1] != "2024-06-01" {
		t.Errorf("history runs %v, want 2024-05-01 then 2024-06-01", history)
	}

	// Download the CSV of the current filter from the page's link.
	var href string
	if err := json.Unmarshal(d.call("GET", "/element/"+d.find("#download")+"/property/href", nil), &href); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(href, srv.URL+"/download.csv?") {
		t.Fatalf("download link %q is not on the page's server", href)
	}
	res, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(res.Body).ReadAll()
	res.Body.Close()
	if err != nil {
		t.Fatalf("read the downloaded CSV: %v", err)
	}
	if len(recs)-1 != total {
		t.Errorf("CSV has %d rows, the page says %d match", len(recs)-1, total)
	}
	for k, r := range recs[1:] {
		if r[1] != "at_risk" {
			t.Fatalf("CSV row %d: segment %q, want at_risk", k+1, r[1])
		}
	}
	if recs[1][0] != first {
		t.Errorf("CSV starts with %s, the page with %s: want the same order", recs[1][0], first)
	}

	// Save the screenshot of the page as it is now.
	var shot string
	if err := json.Unmarshal(d.call("GET", "/screenshot", nil), &shot); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	path := filepath.Join(t.TempDir(), "serve.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv(screenshotEnv); p != "" {
		if p == "1" {
			p = "/tmp/serve.png"
		}
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot saved to %s", p)
	}

	// At a laptop's 1280 px and a phone's 390 px: the page does not scroll
	// sideways, the first row's reason is whole and on screen, and a
	// click anywhere on a row opens the customer.
	for _, vp := range []struct {
		name          string
		width, height int
	}{{"1280", 1280, 900}, {"phone", 390, 844}} {
		d.call("POST", "/window/rect", map[string]int{"width": vp.width, "height": vp.height})
		var inner int
		d.waitFor("the window at "+vp.name, func() bool {
			d.script(`return window.innerWidth`, &inner)
			return inner <= vp.width && inner > vp.width-40
		})
		var fit struct {
			PageScroll int     `json:"page_scroll"`
			Inner      int     `json:"inner"`
			ReasonCut  bool    `json:"reason_cut"`
			Left       float64 `json:"left"`
			Right      float64 `json:"right"`
			Reason     string  `json:"reason"`
		}
		d.script(`const td = document.querySelector("#rows tbody tr:first-child td.reason");
			const r = td.getBoundingClientRect();
			return {page_scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
				reason_cut: td.scrollWidth > td.clientWidth + 1, left: r.left, right: r.right, reason: td.textContent}`, &fit)
		if fit.PageScroll > fit.Inner {
			t.Errorf("%s: the page is %d px wide in a %d px window: it scrolls sideways", vp.name, fit.PageScroll, fit.Inner)
		}
		if fit.ReasonCut || fit.Left < 0 || fit.Right > float64(fit.Inner) || fit.Reason == "" {
			t.Errorf("%s: the first reason %q is cut or off screen (left %.0f, right %.0f, window %d)", vp.name, fit.Reason, fit.Left, fit.Right, fit.Inner)
		}
		saveScreenshot(t, d, vp.name+"-list")
		row := d.text("#rows tbody tr:nth-child(2) a.cust")
		d.click("#rows tbody tr:nth-child(2) td.reason")
		d.waitFor("the detail from a row click at "+vp.name, func() bool { return d.text("#detail-title") == "Customer "+row })
		var visible bool
		d.script(`const r = document.querySelector("#detail").getBoundingClientRect(); return r.width > 0 && r.right <= window.innerWidth + 1`, &visible)
		if !visible {
			t.Errorf("%s: the customer's detail is not within the window", vp.name)
		}
		saveScreenshot(t, d, vp.name+"-detail")
	}
	d.call("POST", "/window/rect", map[string]int{"width": 1400, "height": 1000})

	// A customer id with HTML in it is shown as text, never as markup.
	d.click(`#segment option[value=""]`)
	d.call("POST", "/element/"+d.find("#q")+"/value", map[string]string{"text": `<b>"x"`})
	d.click("#apply")
	d.waitFor("the odd customer", func() bool { return d.text("#rows tbody tr:first-child a.cust") == liststest.OddID })
	d.click("#rows tbody tr:first-child a.cust")
	d.waitFor("the odd customer's detail", func() bool { return d.text("#detail-title") == "Customer "+liststest.OddID })
	var injected int
	d.script(`return document.querySelectorAll("main b, main i, main img").length`, &injected)
	if injected != 0 {
		t.Errorf("%d elements made from data: values must be text", injected)
	}
}

// saveScreenshot takes a screenshot of the window and keeps it under the
// test's temporary folder, and beside the main screenshot when
// CHURN_SERVE_SCREENSHOT asks for one (serve-NAME.png).
func saveScreenshot(t *testing.T, d *webDriver, name string) {
	t.Helper()
	var shot string
	if err := json.Unmarshal(d.call("GET", "/screenshot", nil), &shot); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "serve-"+name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv(screenshotEnv); p != "" {
		if p == "1" {
			p = "/tmp/serve.png"
		}
		p = strings.TrimSuffix(p, ".png") + "-" + name + ".png"
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot saved to %s", p)
	}
}
