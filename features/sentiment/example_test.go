package sentiment_test

import (
	"fmt"

	"churn/features/sentiment"
)

func ExampleScore() {
	for _, text := range []string{
		"Still waiting for my refund, very disappointed",
		"Problem resolved quickly, thanks!",
		"O atendimento foi péssimo e ninguém resolve nada",
		"Obrigado, o técnico foi muito atencioso",
		"I have a question about my invoice",
	} {
		s := sentiment.Score(text)
		fmt.Printf("%-2s %+.2f %s\n", sentiment.Detect(text), s, text)
	}
	// Output:
	// en -0.75 Still waiting for my refund, very disappointed
	// en +0.61 Problem resolved quickly, thanks!
	// pt -0.75 O atendimento foi péssimo e ninguém resolve nada
	// pt +0.73 Obrigado, o técnico foi muito atencioso
	// en +0.00 I have a question about my invoice
}

func ExampleScoreLang() {
	// The ticket's locale can stand in for detection.
	fmt.Printf("%+.2f\n", sentiment.ScoreLang("não funciona", sentiment.Portuguese))
	fmt.Printf("%+.2f\n", sentiment.ScoreLang("não funciona", sentiment.English))
	// Output:
	// -0.19
	// +0.00
}

func ExampleDetect() {
	fmt.Printf("%q %q %q\n",
		sentiment.Detect("Where is my order?"),
		sentiment.Detect("Cadê o meu pedido?"),
		sentiment.Detect("ok"))
	// Output:
	// "en" "pt" ""
}
