package synth

import (
	"math/rand/v2"
	"slices"
)

// lang is the language of a customer's free text.
type lang uint8

const (
	english lang = iota
	portuguese
)

// tone is the mood of a ticket or comment, from the customer's state.
type tone uint8

const (
	negative tone = iota
	neutral
	positive
)

// phrases holds the templates of one language. In a template, {t} is a
// topic (with its article), {i} an intensifier or nothing, {I} an
// intensifier always present.
type phrases struct {
	topics       []string
	intensifiers []string
	subjects     [3][]string
	bodies       [3][]string
	closings     [3][]string
	npsComments  [3][]string
}

var phraseBook = [2]phrases{
	english: {
		topics: []string{
			"the report export", "the invoice", "the integration", "the login page",
			"the dashboard", "user permissions", "the data sync", "the billing page",
			"the mobile app", "the API", "the CSV import", "two-factor authentication",
			"the search", "notifications", "the scheduled reports",
		},
		intensifiers: []string{"very", "really", "extremely", "so", "totally", "incredibly", "quite"},
		subjects: [3][]string{
			negative: {
				"Problem with {t}", "{t} is broken", "URGENT: {t} not working", "Complaint about {t}",
				"Still waiting on {t}", "Cannot use {t}", "{t} failing again", "Very unhappy with {t}",
			},
			neutral: {
				"Question about {t}", "Help with {t}", "How to configure {t}", "Request: {t}",
				"{t} settings", "Information about {t}", "Change to {t}",
			},
			positive: {
				"Thanks for the help with {t}", "{t} works now", "Feedback on {t}", "Great job on {t}",
				"Small question about {t}",
			},
		},
		bodies: [3][]string{
			negative: {
				"{t} is not working again.",
				"I am {I} frustrated with {t}.",
				"This is unacceptable, {t} keeps failing every day.",
				"{t} has been broken for three days and nobody answered.",
				"We can't rely on {t} anymore.",
				"Honestly {t} is not good enough for what we pay.",
				"I'm {i} disappointed, {t} never works when we need it.",
				"Your last update made {t} {I} slow.",
				"We are thinking about cancelling our subscription.",
				"This is the third time I report {t} and it is still not fixed.",
				"Nobody on my team can use {t}, this is a waste of time.",
				"The answer I got was not helpful at all.",
				"I have lost data because of {t}.",
				"Your support is {I} slow and {t} is still down.",
				"I don't understand why {t} stopped working.",
				"We are {I} unhappy with the service lately.",
				"{t} is terrible since the last release.",
				"I will look for another tool if {t} is not fixed this week.",
			},
			neutral: {
				"How do I change {t}?",
				"Could you help me configure {t}?",
				"Please send me the documentation for {t}.",
				"We would like to know if {t} supports more users.",
				"Is it possible to export data from {t}?",
				"I need to update the details shown in {t}.",
				"Can you check {t} for our account?",
				"Where can I find {t} in the new menu?",
				"We are adding two colleagues and need access to {t}.",
				"What is the limit for {t} on our plan?",
				"Please confirm the change to {t}.",
				"I have a question about how {t} is calculated.",
			},
			positive: {
				"Thanks, {t} works {i} well now.",
				"{t} is {I} helpful, great work.",
				"Not bad at all, {t} is much faster now.",
				"I really love {t}, my team uses it every day.",
				"No problems with {t} since the update.",
				"Great support, thank you for fixing {t} so quickly.",
				"The issue with {t} is no longer a problem.",
				"Everything is fine, just a small suggestion for {t}.",
				"We are {I} happy with the product.",
				"{t} saves us hours every week.",
			},
		},
		closings: [3][]string{
			negative: {"Please fix this now.", "Very disappointed.", "I expect an answer today.", "Not happy at all.", ""},
			neutral:  {"Thanks.", "Best regards.", "Thank you in advance.", ""},
			positive: {"Thanks a lot!", "Keep up the good work.", "Best regards.", ""},
		},
		npsComments: [3][]string{
			negative: {
				"Too many bugs lately.", "Support is slow and not helpful.", "Too expensive for what it does.",
				"The product is not reliable.", "We are not happy with the recent changes.", "Hard to use.",
			},
			neutral: {
				"It does the job.", "Good but the reports could be better.", "Not bad, but the price is high.",
				"OK overall.", "Some features are missing.",
			},
			positive: {
				"Great product, easy to use.", "Excellent support team.", "We could not work without it.",
				"Really good value.", "Love the dashboards.", "Never had a problem.",
			},
		},
	},
	portuguese: {
		topics: []string{
			"a exportação de relatórios", "a fatura", "a integração", "a página de login",
			"o painel", "as permissões de usuário", "a sincronização de dados", "a página de cobrança",
			"o aplicativo", "a API", "a importação de CSV", "a autenticação em dois fatores",
			"a busca", "as notificações", "os relatórios agendados",
		},
		intensifiers: []string{"muito", "bastante", "extremamente", "super", "totalmente", "realmente", "bem"},
		subjects: [3][]string{
			negative: {
				"Problema com {t}", "{t} não funciona", "URGENTE: {t} com erro", "Reclamação sobre {t}",
				"Ainda aguardando retorno sobre {t}", "Não consigo usar {t}", "{t} falhando de novo", "Muito insatisfeito com {t}",
			},
			neutral: {
				"Dúvida sobre {t}", "Ajuda com {t}", "Como configurar {t}", "Solicitação: {t}",
				"Configurar {t}", "Informações sobre {t}", "Alteração: {t}",
			},
			positive: {
				"Obrigado pela ajuda com {t}", "{t} funcionando", "Feedback sobre {t}", "Elogio: {t}",
				"Pequena dúvida sobre {t}",
			},
		},
		bodies: [3][]string{
			negative: {
				"{t} não está funcionando de novo.",
				"Estou {I} frustrado com {t}.",
				"Isso é inaceitável, {t} falha todos os dias.",
				"{t} está com problema há três dias e ninguém respondeu.",
				"Não dá mais para confiar no sistema, {t} sempre falha.",
				"Sinceramente {t} não vale o preço que pagamos.",
				"Estou {i} decepcionado, {t} nunca funciona quando precisamos.",
				"Depois da última atualização, {t} ficou {I} devagar.",
				"Estamos pensando em cancelar a assinatura.",
				"É a terceira vez que reporto problemas com {t} e nada foi corrigido.",
				"Ninguém da equipe consegue usar {t}, é uma perda de tempo.",
				"A resposta que recebi não ajudou em nada.",
				"Perdemos dados depois de usar {t}.",
				"O suporte é {I} lento e {t} continua fora do ar.",
				"Não entendo por que {t} parou de funcionar.",
				"Estamos {I} insatisfeitos com o serviço ultimamente.",
				"{t} piorou muito desde a última versão.",
				"Vou procurar outra ferramenta se não resolverem {t} esta semana.",
			},
			neutral: {
				"Como faço para alterar {t}?",
				"Vocês podem me ajudar a configurar {t}?",
				"Por favor, enviem a documentação sobre {t}.",
				"Gostaríamos de saber se {t} aceita mais usuários.",
				"É possível exportar dados usando {t}?",
				"Preciso atualizar as informações relacionadas com {t}.",
				"Podem verificar {t} da nossa conta?",
				"Onde encontro {t} no novo menu?",
				"Vamos adicionar dois colegas e precisamos liberar {t} para eles.",
				"Qual é o limite para {t} no nosso plano?",
				"Por favor, confirmem a mudança solicitada para {t}.",
				"Tenho uma dúvida sobre os valores mostrados com {t}.",
			},
			positive: {
				"Obrigado, {t} está funcionando {i} bem agora.",
				"{t} é {I} útil, ótimo trabalho.",
				"Nada mal, agora {t} carrega bem mais rápido.",
				"Adoro {t}, minha equipe usa todos os dias.",
				"Nenhum problema com {t} desde a atualização.",
				"Ótimo suporte, obrigado por corrigir {t} tão rápido.",
				"O problema com {t} já não existe mais.",
				"Está tudo certo, só uma pequena sugestão para {t}.",
				"Estamos {I} satisfeitos com o produto.",
				"{t} nos economiza horas toda semana.",
			},
		},
		closings: [3][]string{
			negative: {"Por favor, resolvam isso agora.", "Muito decepcionado.", "Espero uma resposta hoje.", "Nada satisfeito.", ""},
			neutral:  {"Obrigado.", "Atenciosamente.", "Desde já agradeço.", ""},
			positive: {"Muito obrigado!", "Continuem assim.", "Abraços.", ""},
		},
		npsComments: [3][]string{
			negative: {
				"Muitos erros ultimamente.", "O suporte é lento e não ajuda.", "Caro demais para o que oferece.",
				"O produto não é confiável.", "Não gostamos das últimas mudanças.", "Difícil de usar.",
			},
			neutral: {
				"Cumpre o que promete.", "Bom, mas os relatórios poderiam ser melhores.", "Nada mal, mas o preço é alto.",
				"No geral, ok.", "Faltam algumas funcionalidades.",
			},
			positive: {
				"Ótimo produto, fácil de usar.", "Equipe de suporte excelente.", "Não conseguimos trabalhar sem ele.",
				"Vale muito a pena.", "Adoro os painéis.", "Nunca tive problema.",
			},
		},
	},
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// fill appends template tpl to b with the given topic, drawing
// intensifiers from r, and upper-cases the first letter it wrote.
func fill(b []byte, r *rand.Rand, p *phrases, tpl, topic string) []byte {
	start := len(b)
	for i := 0; i < len(tpl); i++ {
		if tpl[i] == '{' && i+2 < len(tpl) && tpl[i+2] == '}' {
			switch tpl[i+1] {
			case 't':
				b = append(b, topic...)
			case 'I':
				b = append(b, pick(r, p.intensifiers)...)
			case 'i':
				// An optional intensifier; drop the space after it when absent.
				if r.IntN(2) == 0 {
					b = append(b, pick(r, p.intensifiers)...)
				} else if i+3 < len(tpl) && tpl[i+3] == ' ' {
					i++
				}
			}
			i += 2
			continue
		}
		b = append(b, tpl[i])
	}
	if start < len(b) && b[start] >= 'a' && b[start] <= 'z' {
		b[start] -= 'a' - 'A'
	}
	return b
}

// ticketText composes a ticket's subject and body in language l with the
// given tone: a subject, one to three body sentences (mostly of the tone,
// sometimes a neutral one, as real messages mix), and a closing. buf is
// scratch space, returned for reuse.
func ticketText(buf []byte, r *rand.Rand, l lang, tn tone) (string, []byte) {
	p := &phraseBook[l]
	topic := pick(r, p.topics)
	b := fill(buf[:0], r, p, pick(r, p.subjects[tn]), topic)
	b = append(b, ". "...)
	n := 1 + r.IntN(3)
	var used [3]string
	for k := 0; k < n; k++ {
		t := tn
		if k > 0 {
			b = append(b, ' ')
			if r.IntN(4) == 0 {
				t = neutral
			}
		}
		tpl := pick(r, p.bodies[t])
		for tries := 0; tries < 4 && slices.Contains(used[:k], tpl); tries++ {
			tpl = pick(r, p.bodies[t]) // a person rarely says the same thing twice
		}
		used[k] = tpl
		b = fill(b, r, p, tpl, topic)
	}
	if c := pick(r, p.closings[tn]); c != "" {
		b = append(b, ' ')
		b = append(b, c...)
	}
	return string(b), b
}

// npsComment returns a short survey comment for score in language l.
func npsComment(r *rand.Rand, l lang, score int) string {
	t := neutral
	switch {
	case score <= 6:
		t = negative
	case score >= 9:
		t = positive
	}
	return pick(r, phraseBook[l].npsComments[t])
}
