package features

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Channels: the per-channel state of sessions and tickets, their ranking
// into the catalog's channels and the columns' names.

// chanSlots is how many channels (of sessions or of tickets) a customer's
// state tells apart; the channels beyond them are summed into one.
const chanSlots = 4

// chanAcc counts a customer's sessions per channel in the main window and
// the one before it (tickets: in the long window, n[j][0]), at one
// cutoff. Channels are told apart by a 32-bit hash of their name. It keeps the chanSlots
// smallest hashes, ascending, and sums the others into over, so the
// state does not depend on the order of rows or merges.
type chanAcc struct {
	hash [chanSlots]uint32
	n    [chanSlots][2]uint16
	used uint8
	over [2]uint16
}

func chanHash(name string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return h
}

// add counts n[0], n[1] sessions of the channel hashed h.
func (c *chanAcc) add(h uint32, n [2]uint16) {
	j := 0
	for j < int(c.used) && c.hash[j] < h {
		j++
	}
	if j < int(c.used) && c.hash[j] == h {
		c.n[j][0] = sat16add(c.n[j][0], n[0])
		c.n[j][1] = sat16add(c.n[j][1], n[1])
		return
	}
	if j == chanSlots {
		c.over[0], c.over[1] = sat16add(c.over[0], n[0]), sat16add(c.over[1], n[1])
		return
	}
	if int(c.used) == chanSlots {
		last := chanSlots - 1
		c.over[0], c.over[1] = sat16add(c.over[0], c.n[last][0]), sat16add(c.over[1], c.n[last][1])
		c.used--
	}
	copy(c.hash[j+1:c.used+1], c.hash[j:c.used])
	copy(c.n[j+1:c.used+1], c.n[j:c.used])
	c.hash[j], c.n[j] = h, n
	c.used++
}

func (c *chanAcc) merge(o *chanAcc) {
	for j := 0; j < int(o.used); j++ {
		c.add(o.hash[j], o.n[j])
	}
	c.over[0], c.over[1] = sat16add(c.over[0], o.over[0]), sat16add(c.over[1], o.over[1])
}

// chanStat is what a Builder keeps of one channel name of one table, to
// rank the names as rankNames ranks event names.
type chanStat struct {
	name    string
	hash    uint32
	n       int64
	sumCust uint64
	sumTS   uint64
	minTS   int64
}

// chanCounts counts the rows per channel name of one table; names are
// told apart by chanHash (two names of one hash count as the first seen).
type chanCounts struct {
	stats []chanStat
	at    map[uint32]int32 // hash -> index in stats
	last  int32            // the index of the latest row's name, a cache
}

// add counts a row of customer i at ts on the channel name of hash h.
func (c *chanCounts) add(h uint32, name string, i int32, ts int64) {
	j := c.find(h)
	if j < 0 {
		if c.at == nil {
			c.at = map[uint32]int32{}
		}
		j = int32(len(c.stats))
		c.at[h] = j
		c.stats = append(c.stats, chanStat{name: strings.Clone(name), hash: h, minTS: math.MaxInt64})
	}
	c.last = j
	s := &c.stats[j]
	s.n++
	s.sumCust += uint64(i)
	s.sumTS += uint64(ts)
	s.minTS = min(s.minTS, ts)
}

// find returns the index of hash h in stats, -1 when absent: the latest
// row's first, then a scan of the few names most tables have, then the
// map.
func (c *chanCounts) find(h uint32) int32 {
	if j := c.last; int(j) < len(c.stats) && c.stats[j].hash == h {
		return j
	}
	if len(c.stats) <= 8 {
		for j := range c.stats {
			if c.stats[j].hash == h {
				return int32(j)
			}
		}
		return -1
	}
	if j, ok := c.at[h]; ok {
		return j
	}
	return -1
}

// merge adds the counts of o.
func (c *chanCounts) merge(o *chanCounts) {
	for _, s := range o.stats {
		j, ok := c.at[s.hash]
		if !ok {
			if c.at == nil {
				c.at = map[uint32]int32{}
			}
			j = int32(len(c.stats))
			c.at[s.hash] = j
			c.stats = append(c.stats, chanStat{name: s.name, hash: s.hash, minTS: math.MaxInt64})
		}
		t := &c.stats[j]
		t.n += s.n
		t.sumCust += s.sumCust
		t.sumTS += s.sumTS
		t.minTS = min(t.minTS, s.minTS)
	}
}

// top returns the MaxChannels most frequent non-empty names, ties broken
// by the rows' statistics and by the name last, as rankNames does.
func (c *chanCounts) top() []string {
	st := slices.Clone(c.stats)
	slices.SortFunc(st, func(a, b chanStat) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.minTS, b.minTS), cmp.Compare(a.sumCust, b.sumCust),
			cmp.Compare(a.sumTS, b.sumTS), strings.Compare(a.name, b.name))
	})
	var out []string
	for _, s := range st {
		if s.name != "" && len(out) < MaxChannels {
			out = append(out, s.name)
		}
	}
	return out
}

// chanRanks are a table's catalog channels as the fold sees them: the
// hash of the name of each rank.
type chanRanks []uint32

func newChanRanks(names []string) chanRanks {
	out := make(chanRanks, 0, len(names))
	for _, n := range names {
		if h := chanHash(n); !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// split spreads a customer's per-channel counts (window p of c) over the
// ranks, into dst (len(ranks)+1, "other" last), and returns the total.
func (r chanRanks) split(c *chanAcc, p int, dst []float64) float64 {
	clear(dst)
	total := float64(c.over[p])
	dst[len(r)] = total
	for j := 0; j < int(c.used); j++ {
		v := float64(c.n[j][p])
		total += v
		if s := slices.Index(r, c.hash[j]); s >= 0 {
			dst[s] += v
		} else {
			dst[len(r)] += v
		}
	}
	return total
}

// channelNames are the column names of the ranked channels of a table:
// format applied to "cNN" per rank and to "other".
func channelNames(n int, format string) []string {
	out := make([]string, 0, n+1)
	for s := 0; s < n; s++ {
		out = append(out, fmt.Sprintf(format, fmt.Sprintf("c%02d", s+1)))
	}
	return append(out, fmt.Sprintf(format, "other"))
}
