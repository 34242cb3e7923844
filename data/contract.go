package data

import (
	"fmt"
	"math"

	"github.com/parquet-go/parquet-go"
)

// NoTime marks a null timestamp. Every timestamp in this package is an
// instant in nanoseconds since the Unix epoch, UTC, whatever unit (milli,
// micro, nano, DATE) the Parquet file stored it in.
const NoTime int64 = math.MinInt64

// Table names one of the tables of the input contract. Its value is the
// name of the table's sub-folder in a dataset.
type Table string

// The tables of the input contract. Only Customers is mandatory.
const (
	Customers Table = "customers"
	Sessions  Table = "sessions"
	Events    Table = "events"
	Tickets   Table = "tickets"
	Surveys   Table = "surveys"
	Orders    Table = "orders"
)

// Kind is the logical type of a contract column.
type Kind int

// The kinds of contract columns.
const (
	String    Kind = iota // BYTE_ARRAY, UTF-8
	Timestamp             // TIMESTAMP (milli, micro or nanos) or DATE
	Float                 // DOUBLE or FLOAT; integers are accepted and widened
	Int                   // INT32 or INT64
)

func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Timestamp:
		return "timestamp"
	case Float:
		return "double"
	case Int:
		return "int"
	}
	return "unknown"
}

// Column is one column of the contract.
type Column struct {
	Name     string
	Kind     Kind
	Required bool
}

// tableSpec is one table of the input contract: everything the readers,
// the validator and the writers of this package need to know of it. The
// first column of every table is its customer id.
type tableSpec struct {
	name    Table
	columns []Column
	// time is the main timestamp column: the instant of the row, which
	// ReadOptions.Until bounds.
	time string
	// reject lists the rules that skip a row, in the order they are tried
	// after the required columns; every string column is also cleaned
	// (valid UTF-8, at most MaxTextBytes) in kept rows.
	reject []rejectSpec
	// nullOutside nulls, in kept rows, the values of float columns outside
	// their range, counted as cleaned under the rule's reason.
	nullOutside []boundSpec
	// nullAs reads a null of a float column as a value.
	nullAs []defaultSpec
	// rows copies rows of the table's row type in and out of columns.
	rows codec
	// columnar, when set, delivers batches as the table's column batch
	// (ReadKeyedBatches) instead of rows.
	columnar func(fn func(batch any, keys []int32) error) deliver
}

// rejectSpec skips a row whose float column is bad, with reason, and an
// error "what: ErrOutOfRange".
type rejectSpec struct {
	column, reason, what string
	bad                  func(float64) bool
}

// boundSpec is the range [lo, hi] of a float column.
type boundSpec struct {
	column, reason string
	lo, hi         float64
}

// defaultSpec is the value a null of a float column reads as.
type defaultSpec struct {
	column string
	value  float64
}

// tableSpecs is the input contract of SPEC.md as code, one entry per
// table in a fixed order: its columns with their kind and whether they are
// required (unknown extra columns in a file are ignored), its row rules,
// and how its rows are read from checked columns and written to Parquet.
var tableSpecs = [...]tableSpec{
	{
		name: Customers,
		columns: []Column{
			{"customer_id", String, true},
			{"signup_at", Timestamp, true},
			{"plan", String, false},
			{"region", String, false},
			{"acquisition_channel", String, false},
			{"cancelled_at", Timestamp, false},
		},
		time: "signup_at",
		rows: rowCodec[Customer]{
			read: func(c []colVec, i int) Customer {
				return Customer{ID: c[0].s[i], SignupAt: c[1].t[i], Plan: c[2].s[i], Region: c[3].s[i], Channel: c[4].s[i], CancelledAt: c[5].t[i]}
			},
			write: func(w *rowWriter, row parquet.Row, r *Customer) {
				w.setString(row, 0, r.ID)
				w.setTime(row, 1, r.SignupAt, usPerNs)
				w.setString(row, 2, r.Plan)
				w.setString(row, 3, r.Region)
				w.setString(row, 4, r.Channel)
				w.setTime(row, 5, r.CancelledAt, usPerNs)
			},
		},
	},
	{
		name: Sessions,
		columns: []Column{
			{"customer_id", String, true},
			{"started_at", Timestamp, true},
			{"duration_s", Float, false},
			{"pages", Int, false},
			{"channel", String, false},
		},
		time: "started_at",
		reject: []rejectSpec{
			{"duration_s", "negative_duration", "negative duration", negative},
			{"pages", "negative_pages", "negative pages", negative},
		},
		rows: rowCodec[Session]{
			read: func(c []colVec, i int) Session {
				return Session{CustomerID: c[0].s[i], StartedAt: c[1].t[i], DurationS: c[2].f[i], Pages: c[3].f[i], Channel: c[4].s[i]}
			},
			write: func(w *rowWriter, row parquet.Row, r *Session) {
				w.setString(row, 0, r.CustomerID)
				w.setTime(row, 1, r.StartedAt, usPerNs)
				w.setFloat(row, 2, r.DurationS)
				w.setIntFloat(row, 3, r.Pages)
				w.setString(row, 4, r.Channel)
			},
		},
		columnar: sessionColumns,
	},
	{
		name: Events,
		columns: []Column{
			{"customer_id", String, true},
			{"ts", Timestamp, true},
			{"event", String, true},
			{"quantity", Float, false},
		},
		time:   "ts",
		nullAs: []defaultSpec{{"quantity", 1}},
		rows: rowCodec[Event]{
			read: func(c []colVec, i int) Event {
				return Event{CustomerID: c[0].s[i], TS: c[1].t[i], Event: c[2].s[i], Quantity: c[3].f[i]}
			},
			write: func(w *rowWriter, row parquet.Row, r *Event) {
				w.setString(row, 0, r.CustomerID)
				w.setTime(row, 1, r.TS, usPerNs)
				w.setString(row, 2, r.Event)
				w.setFloat(row, 3, r.Quantity)
			},
		},
		columnar: eventColumns,
	},
	{
		name: Tickets,
		columns: []Column{
			{"customer_id", String, true},
			{"ticket_id", String, false},
			{"created_at", Timestamp, true},
			{"channel", String, false},
			{"text", String, false},
			{"sentiment", Float, false},
			{"first_response_s", Float, false},
			{"resolved_at", Timestamp, false},
			{"csat", Int, false},
			{"effort", Int, false},
		},
		time: "created_at",
		nullOutside: []boundSpec{
			{"sentiment", "sentiment_out_of_range", -1, 1},
			{"csat", "csat_out_of_range", 1, 5},
			{"effort", "effort_out_of_range", 1, 5},
		},
		rows: rowCodec[Ticket]{
			read: func(c []colVec, i int) Ticket {
				return Ticket{CustomerID: c[0].s[i], TicketID: c[1].s[i], CreatedAt: c[2].t[i], Channel: c[3].s[i], Text: c[4].s[i],
					Sentiment: c[5].f[i], FirstResponseS: c[6].f[i], ResolvedAt: c[7].t[i], CSAT: c[8].f[i], Effort: c[9].f[i]}
			},
			write: func(w *rowWriter, row parquet.Row, r *Ticket) {
				w.setString(row, 0, r.CustomerID)
				w.setString(row, 1, r.TicketID)
				w.setTime(row, 2, r.CreatedAt, usPerNs)
				w.setString(row, 3, r.Channel)
				w.setString(row, 4, r.Text)
				w.setFloat(row, 5, r.Sentiment)
				w.setFloat(row, 6, r.FirstResponseS)
				w.setTime(row, 7, r.ResolvedAt, usPerNs)
				w.setIntFloat(row, 8, r.CSAT)
				w.setIntFloat(row, 9, r.Effort)
			},
		},
	},
	{
		name: Surveys,
		columns: []Column{
			{"customer_id", String, true},
			{"answered_at", Timestamp, true},
			{"nps", Int, true},
			{"comment", String, false},
		},
		time: "answered_at",
		reject: []rejectSpec{
			{"nps", "nps_out_of_range", "nps not in 0..10", func(v float64) bool { return v < 0 || v > 10 || v != math.Trunc(v) }},
		},
		rows: rowCodec[Survey]{
			read: func(c []colVec, i int) Survey {
				return Survey{CustomerID: c[0].s[i], AnsweredAt: c[1].t[i], NPS: int(c[2].f[i]), Comment: c[3].s[i]}
			},
			write: func(w *rowWriter, row parquet.Row, r *Survey) {
				w.setString(row, 0, r.CustomerID)
				w.setTime(row, 1, r.AnsweredAt, usPerNs)
				w.setInt(row, 2, int64(r.NPS))
				w.setString(row, 3, r.Comment)
			},
		},
	},
	{
		name: Orders,
		columns: []Column{
			{"customer_id", String, true},
			{"ts", Timestamp, true},
			{"amount", Float, true},
			{"order_id", String, false},
			{"margin", Float, false},
		},
		time: "ts",
		reject: []rejectSpec{
			{"amount", "amount_out_of_range", "infinite amount", func(v float64) bool { return math.IsInf(v, 0) }},
		},
		rows: rowCodec[Order]{
			read: func(c []colVec, i int) Order {
				return Order{CustomerID: c[0].s[i], TS: c[1].t[i], Amount: c[2].f[i], OrderID: c[3].s[i], Margin: c[4].f[i]}
			},
			write: func(w *rowWriter, row parquet.Row, r *Order) {
				w.setString(row, 0, r.CustomerID)
				w.setTime(row, 1, r.TS, usPerNs)
				w.setFloat(row, 2, r.Amount)
				w.setString(row, 3, r.OrderID)
				w.setFloat(row, 4, r.Margin)
			},
		},
	},
}

func negative(v float64) bool { return v < 0 }

// NumTables is the number of tables of the contract.
const NumTables = len(tableSpecs)

// Tables lists every table of the contract in a fixed order.
var Tables = func() []Table {
	out := make([]Table, NumTables)
	for i := range tableSpecs {
		out[i] = tableSpecs[i].name
	}
	return out
}()

// Contract is the input contract of SPEC.md as code: for each table, its
// columns with their kind and whether they are required. Unknown extra
// columns in a file are ignored. It is the columns of the package's list
// of tables: do not modify it.
var Contract = func() map[Table][]Column {
	out := make(map[Table][]Column, NumTables)
	for i := range tableSpecs {
		out[tableSpecs[i].name] = tableSpecs[i].columns
	}
	return out
}()

// Index returns the position of t in Tables, which numbers the tables for
// per-table arrays of NumTables entries, or -1 when t is not a table of
// the contract.
func (t Table) Index() int {
	for i := range tableSpecs {
		if tableSpecs[i].name == t {
			return i
		}
	}
	return -1
}

// spec returns the entry of t in the list of tables, or nil.
func (t Table) spec() *tableSpec {
	if i := t.Index(); i >= 0 {
		return &tableSpecs[i]
	}
	return nil
}

// codec copies rows of one row type in and out of columns; rowCodec is
// its only implementation.
type codec interface {
	// batches delivers the checked columns as row batches to fn.
	batches(fn func(batch any, keys []int32) error) deliver
}

// rowCodec is the codec of row type T: read builds row i of a reader's
// checked columns, write sets the values of a Parquet row, in the column
// order of the table.
type rowCodec[T Row] struct {
	read  func(c []colVec, i int) T
	write func(w *rowWriter, row parquet.Row, r *T)
}

func (c rowCodec[T]) batches(fn func(batch any, keys []int32) error) deliver {
	return rowsTo(c, func(rows []T, keys []int32) error { return fn(rows, keys) })
}

// specOf returns the table of row type T and its codec.
func specOf[T Row]() (*tableSpec, rowCodec[T], error) {
	for i := range tableSpecs {
		if c, ok := tableSpecs[i].rows.(rowCodec[T]); ok {
			return &tableSpecs[i], c, nil
		}
	}
	var zero T
	return nil, rowCodec[T]{}, fmt.Errorf("row type %T has no table: %w", zero, ErrWrongType)
}

// The row types below are what readers hand to the rest of the program, one
// per table. Conventions, the same in every type: a null timestamp is
// NoTime, a null number is NaN, a null string is "". A row that breaks the
// contract never reaches a caller as a row: readers report it as a
// *RowError and skip it.

// Customer is one row of customers/.
type Customer struct {
	ID          string
	SignupAt    int64
	Plan        string
	Region      string
	Channel     string // acquisition_channel
	CancelledAt int64  // NoTime while active
}

// Session is one row of sessions/.
type Session struct {
	CustomerID string
	StartedAt  int64
	DurationS  float64 // NaN when null
	Pages      float64 // NaN when null
	Channel    string
}

// Event is one row of events/: a core product action.
type Event struct {
	CustomerID string
	TS         int64
	Event      string
	Quantity   float64 // 1 when null
}

// Ticket is one row of tickets/: a support contact.
type Ticket struct {
	CustomerID     string
	TicketID       string
	CreatedAt      int64
	Channel        string
	Text           string
	Sentiment      float64 // precomputed score in [-1, 1]; NaN when null
	FirstResponseS float64 // NaN when null
	ResolvedAt     int64   // NoTime while unresolved
	CSAT           float64 // 1..5; NaN when null
	Effort         float64 // 1..5; NaN when null
}

// Survey is one row of surveys/: an NPS answer.
type Survey struct {
	CustomerID string
	AnsweredAt int64
	NPS        int // 0..10
	Comment    string
}

// Order is one row of orders/: a purchase, renewal, invoice or refund.
type Order struct {
	CustomerID string
	TS         int64
	Amount     float64 // negative for refunds
	OrderID    string
	Margin     float64 // fraction 0..1; NaN when null (a config default applies)
}

// Row is the set of contract row types: the type parameter of the readers
// and writers of this package.
type Row interface {
	Customer | Session | Event | Ticket | Survey | Order
}
