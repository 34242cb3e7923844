package ingest

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"churn/data"
)

// Progress is how far a long read has come.
type Progress struct {
	Rows          int64   // rows read so far, all tables
	Fraction      float64 // share of input bytes done, 0..1
	RowsPerSecond float64
	Done          bool // the read finished: the last call
}

// Reporter logs rows read per table, the share of bytes done and the rate,
// at most every few seconds.
type Reporter struct {
	log        zerolog.Logger
	totalBytes int64
	doneBytes  atomic.Int64
	perTable   [data.NumTables]atomic.Int64 // by data.Table.Index
	began      time.Time
	notify     func(Progress)
	once       sync.Once
	stop       chan struct{}
	wg         sync.WaitGroup
}

// progressEvery is how often long reads report Reporter.
const progressEvery = 3 * time.Second

// NewReporter reports to log, and to notify when it is not nil, the
// progress of a read of totalBytes.
func NewReporter(log zerolog.Logger, totalBytes int64, notify func(Progress)) *Reporter {
	return &Reporter{log: log, totalBytes: totalBytes, began: time.Now(), notify: notify, stop: make(chan struct{})}
}

// Rows counts n rows of table t read.
func (p *Reporter) Rows(t data.Table, n int) {
	if i := t.Index(); i >= 0 {
		p.perTable[i].Add(int64(n))
	}
}

// FileDone counts a file of size bytes done.
func (p *Reporter) FileDone(size int64) { p.doneBytes.Add(size) }

// Start runs the reporter until the returned function is called (which is
// safe to call more than once) or ctx ends.
func (p *Reporter) Start(ctx context.Context) func() {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.stop:
				return
			case <-t.C:
				p.report()
			}
		}
	}()
	return func() {
		p.once.Do(func() {
			close(p.stop)
			p.wg.Wait()
			if p.notify != nil {
				p.notify(Progress{Rows: p.total(), Fraction: 1, Done: true})
			}
		})
	}
}

func (p *Reporter) report() {
	ev := p.log.Info()
	var total int64
	names := make([]string, 0, data.NumTables)
	for _, t := range data.Tables {
		names = append(names, string(t))
	}
	sort.Strings(names)
	for _, name := range names {
		n := p.perTable[data.Table(name).Index()].Load()
		total += n
		ev = ev.Int64("rows_read_"+name, n)
	}
	secs := time.Since(p.began).Seconds()
	pct := 100.0
	if p.totalBytes > 0 {
		pct = 100 * float64(p.doneBytes.Load()) / float64(p.totalBytes)
	}
	rate := float64(total) / max(secs, 1e-9)
	ev.Int64("rows_read", total).Float64("percent_files", pct).Float64("rows_per_second", rate).Msg("reading")
	if p.notify != nil {
		p.notify(Progress{Rows: total, Fraction: pct / 100, RowsPerSecond: rate})
	}
}

func (p *Reporter) total() int64 {
	var n int64
	for i := range p.perTable {
		n += p.perTable[i].Load()
	}
	return n
}
