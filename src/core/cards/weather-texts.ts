import { type ContentKey, WEATHER_DEFAULTS } from "./weather-options.js";

/**
 * Built-in weather texts in the languages the countdown and price cards speak, picked by the
 * block's `locale` (its language). A block's own `content` always wins; an unknown language
 * gets English. French uses a no-break space before ? ! : as French typography does.
 */
type Texts = Record<ContentKey, { headline: string; text: string }>;

const NBSP = "\u00a0";

const TEXTS: Record<string, Texts> = {
  de: {
    clear: { headline: "Sonnige Tage sind da", text: "Leichte Lagen und Sonnenbrillen für helle Tage." },
    cloudy: { headline: "Wolken ziehen auf", text: "Bequeme Lagen für graue Tage." },
    fog: { headline: "Heute wird's neblig", text: "Mach es dir gemütlich: unsere Lieblinge für drinnen." },
    drizzle: { headline: "Ein bisschen Niesel", text: "Eine leichte Jacke genügt." },
    rain: { headline: "Regentag? Bleib trocken.", text: "Regenjacken und Stiefel, bereit, wenn du es bist." },
    snow: { headline: "Schneetag!", text: "Warmer Strick und Stiefel gegen die Kälte." },
    thunderstorm: { headline: "Stürmisch da draußen", text: "Bleib drinnen und shoppe vom Sofa aus." },
    neutral: { headline: "Bei jedem Wetter", text: "Etwas für jeden Tag." },
  },
  fr: {
    clear: {
      headline: "Les beaux jours sont là",
      text: "Tenues légères et lunettes de soleil pour les beaux jours.",
    },
    cloudy: { headline: "Les nuages arrivent", text: "Des couches faciles pour les jours gris." },
    fog: { headline: "Journée brumeuse", text: `Restez au chaud${NBSP}: nos favoris pour l'intérieur.` },
    drizzle: { headline: "Un peu de bruine", text: "Une veste légère suffit." },
    rain: {
      headline: `Jour de pluie${NBSP}? Restez au sec.`,
      text: "Imperméables et bottes, prêts quand vous l'êtes.",
    },
    snow: { headline: `Jour de neige${NBSP}!`, text: "Mailles chaudes et bottes contre le froid." },
    thunderstorm: {
      headline: "Temps orageux",
      text: "Restez à l'abri et faites vos achats depuis le canapé.",
    },
    neutral: { headline: "Quel que soit le temps", text: "Quelque chose pour chaque journée." },
  },
  es: {
    clear: {
      headline: "Llegan los días de sol",
      text: "Capas ligeras y gafas de sol para los días luminosos.",
    },
    cloudy: { headline: "Llegan las nubes", text: "Capas cómodas para los días grises." },
    fog: { headline: "Hoy toca niebla", text: "Quédate a gusto: nuestros favoritos para casa." },
    drizzle: { headline: "Un poco de llovizna", text: "Basta con una chaqueta ligera." },
    rain: {
      headline: "¿Día de lluvia? Mantente seco.",
      text: "Chubasqueros y botas, listos cuando tú lo estés.",
    },
    snow: { headline: "¡Día de nieve!", text: "Punto cálido y botas para el frío." },
    thunderstorm: { headline: "Hay tormenta", text: "Quédate dentro y compra desde el sofá." },
    neutral: { headline: "Haga el tiempo que haga", text: "Algo para cada tipo de día." },
  },
  it: {
    clear: {
      headline: "Arrivano le giornate di sole",
      text: "Capi leggeri e occhiali da sole per le belle giornate.",
    },
    cloudy: { headline: "Arrivano le nuvole", text: "Strati comodi per le giornate grigie." },
    fog: { headline: "Oggi c'è nebbia", text: "Resta al calduccio: i nostri preferiti per stare in casa." },
    drizzle: { headline: "Un po' di pioggerella", text: "Basta una giacca leggera." },
    rain: {
      headline: "Piove? Resta all'asciutto.",
      text: "Impermeabili e stivali, pronti quando lo sei tu.",
    },
    snow: { headline: "Giornata di neve!", text: "Maglie calde e stivali per il freddo." },
    thunderstorm: { headline: "Fuori c'è tempesta", text: "Resta dentro e fai shopping dal divano." },
    neutral: { headline: "Con qualsiasi tempo", text: "Qualcosa per ogni tipo di giornata." },
  },
  nl: {
    clear: { headline: "De zonnige dagen zijn er", text: "Lichte lagen en zonnebrillen voor heldere dagen." },
    cloudy: { headline: "Er komen wolken aan", text: "Makkelijke lagen voor grijze dagen." },
    fog: { headline: "Een mistige dag", text: "Maak het gezellig: onze favorieten voor binnen." },
    drizzle: { headline: "Een beetje motregen", text: "Een lichte jas is genoeg." },
    rain: { headline: "Regendag? Blijf droog.", text: "Regenjassen en laarzen, klaar wanneer jij het bent." },
    snow: { headline: "Sneeuwdag!", text: "Warme truien en laarzen tegen de kou." },
    thunderstorm: { headline: "Stormachtig buiten", text: "Blijf binnen en shop vanaf de bank." },
    neutral: { headline: "Wat het weer ook doet", text: "Iets voor elk soort dag." },
  },
  pt: {
    clear: {
      headline: "Chegaram os dias de sol",
      text: "Camadas leves e óculos de sol para os dias claros.",
    },
    cloudy: { headline: "Aí vêm as nuvens", text: "Camadas práticas para os dias cinzentos." },
    fog: { headline: "Um dia de nevoeiro", text: "Fique aconchegado: os nossos favoritos para casa." },
    drizzle: { headline: "Um pouco de chuvisco", text: "Basta um casaco leve." },
    rain: { headline: "Dia de chuva? Fique seco.", text: "Impermeáveis e botas, prontos quando estiver." },
    snow: { headline: "Dia de neve!", text: "Malhas quentes e botas para o frio." },
    thunderstorm: { headline: "Tempestade lá fora", text: "Fique em casa e compre a partir do sofá." },
    neutral: { headline: "Faça o tempo que fizer", text: "Algo para todo o tipo de dia." },
  },
  ja: {
    clear: { headline: "晴れの日がやってきた", text: "明るい日には軽い重ね着とサングラスを。" },
    cloudy: { headline: "くもり空の日", text: "グレーな日には手軽な重ね着を。" },
    fog: { headline: "今日は霧の一日", text: "おうちで過ごすお気に入りアイテム。" },
    drizzle: { headline: "小雨の一日", text: "軽いジャケットがあれば大丈夫。" },
    rain: { headline: "雨の日も快適に", text: "レインジャケットとブーツをご用意しています。" },
    snow: { headline: "雪の日！", text: "寒い日にはあたたかいニットとブーツを。" },
    thunderstorm: { headline: "外は嵐", text: "おうちでソファからお買い物を。" },
    neutral: { headline: "どんな天気でも", text: "どんな日にもぴったりのアイテム。" },
  },
};

const ENGLISH = Object.fromEntries(
  Object.entries(WEATHER_DEFAULTS).map(([k, d]) => [k, { headline: d.headline, text: d.text }]),
) as Texts;

/** The built-in texts for a locale tag ("de-AT" → German); English when the language is not listed. */
export function weatherTexts(locale: string): Texts {
  return TEXTS[locale.split("-")[0]!.toLowerCase()] ?? ENGLISH;
}

/** Languages with built-in texts besides English (for docs and tests). */
export const WEATHER_TEXT_LANGUAGES = Object.keys(TEXTS);
