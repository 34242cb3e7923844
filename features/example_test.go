package features_test

import (
	"fmt"
	"math"
	"time"

	"churn/data"
	"churn/features"
)

func Example() {
	day := func(m time.Month, d int) int64 { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC).UnixNano() }
	cutoff := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	b, err := features.NewBuilder(features.DefaultConfig(), []int64{cutoff}, cutoff)
	if err != nil {
		fmt.Println(err)
		return
	}
	b.AddCustomers([]data.Customer{{ID: "ana", SignupAt: day(1, 10), Plan: "monthly", CancelledAt: data.NoTime}})
	b.Freeze()

	// The fold on two shards, each fed from a goroutine of its own in a
	// job: every shard sees every batch and folds its half of the
	// customers.
	var sessions []data.Session
	for d := 1; d <= 31; d += 2 { // every other day in August
		sessions = append(sessions, data.Session{CustomerID: "ana", StartedAt: day(8, d), DurationS: 300, Pages: 4})
	}
	sessions = append(sessions, data.Session{CustomerID: "ana", StartedAt: day(9, 20), DurationS: 60, Pages: 1})
	surveys := []data.Survey{{CustomerID: "ana", AnsweredAt: day(9, 25), NPS: 4}}
	shards := b.Shards(2)
	for _, batch := range []any{sessions, surveys} {
		idx, _, err := b.Resolve(nil, batch)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, s := range shards {
			if err := s.AddResolved(batch, idx); err != nil {
				fmt.Println(err)
				return
			}
		}
	}
	if err := b.JoinShards(shards); err != nil {
		fmt.Println(err)
		return
	}

	frame, err := b.Build(map[data.Table]bool{data.Sessions: true, data.Surveys: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"sessions_30d", "sessions_ratio_30d", "days_since_session", "nps_latest"} {
		fmt.Printf("%s = %.4g\n", name, frame.At(0, frame.Col(name)))
	}
	fmt.Println("label:", frame.Label[0], "status:", frame.Status[0], "orders built:", !math.IsNaN(frame.At(0, frame.Col("orders_total"))))

	// Reasons from the model's contributions (log-odds per feature; here
	// made up): visits and NPS raised the risk, tenure lowered it.
	effects := make([]float64, len(frame.Names))
	effects[frame.Col("sessions_ratio_30d")] = 0.8
	effects[frame.Col("nps_latest")] = 0.5
	effects[frame.Col("tenure_days")] = -0.2
	for _, lang := range []features.Language{features.English, features.Portuguese} {
		e, err := features.NewExplainer(frame, features.ExplainConfig{Language: lang, NegativeSentiment: -0.05})
		if err != nil {
			fmt.Println(err)
			return
		}
		reasons, _ := e.Reasons(0, effects, 3)
		for _, r := range reasons {
			fmt.Printf("%s: %s\n", r.Code, r.Text)
		}
	}
	// Output:
	// sessions_30d = 1
	// sessions_ratio_30d = 0.06667
	// days_since_session = 10.5
	// nps_latest = 4
	// label: NaN status: active orders built: false
	// visits_decline: visits per week down 93% on the previous 30 days
	// nps_detractor: NPS detractor: answered 4 of 10 on 2026-09-25
	// visits_decline: visitas por semana 93% abaixo dos 30 dias anteriores
	// nps_detractor: detrator no NPS: respondeu 4 de 10 em 2026-09-25
}

func ExampleConfig_MonthlyCutoffs() {
	asOf := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	cfg := features.DefaultConfig()
	cfg.Gap, cfg.Horizon = 0, 90*features.Day
	for _, c := range cfg.MonthlyCutoffs(asOf, 3) {
		fmt.Println(time.Unix(0, c).UTC().Format(time.RFC3339))
	}
	// Output:
	// 2026-06-22T00:00:00Z
	// 2026-07-22T00:00:00Z
	// 2026-08-22T00:00:00Z
}
