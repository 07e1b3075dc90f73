/**
 * A seeded, deterministic generator of realistic customer-support requests: the demo data set of
 * `mloop demo`, and the fixture behind the text classifier, drift monitoring, PII redaction and
 * fairness examples.
 *
 * The data has known, deliberate properties:
 * - Class imbalance like a real help desk: `password_reset` and `delivery_status` dominate, a few
 *   intents (`account_closure`, `warranty_claim`, `privacy_request`) are rare.
 * - Noise: typos, lowercase/unpunctuated casual writing, occasional all-caps words and about 3% of
 *   ambiguous requests that mention a second topic (the label is the primary topic).
 * - PII with ground truth: every row lists in `pii` exactly the kinds it contains. Card-like
 *   16-digit numbers that fail the Luhn check appear as decoys and are never listed as `card`.
 * - A fairness disparity: customers in the `south` region write more casually, with about three
 *   times the typo and ambiguity rates of other regions, so a text classifier is measurably less
 *   accurate there.
 * - A drift scenario: a product launch introduces new vocabulary, a new intent `device_setup` and
 *   a shift of the channel mix toward chat.
 */

/** Where a request came in. */
export type SupportChannel = 'email' | 'chat' | 'phone' | 'web';

/** The customer's sales region; `south` is the region with the built-in disparity. */
export type SupportRegion = 'north' | 'south' | 'east' | 'west';

/** The customer's plan. */
export type CustomerTier = 'free' | 'pro' | 'enterprise';

/** A kind of personal data a request can contain. */
export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | 'ip';

/** One generated support request. */
export interface SupportRequest {
  /** Stable id in chronological order: `req-000001`, `req-000002`, … */
  id: string;
  /** ISO-8601 UTC timestamp with second precision, such as `2026-01-05T09:14:02Z`. */
  created_at: string;
  channel: SupportChannel;
  region: SupportRegion;
  customer_tier: CustomerTier;
  /** What the customer wrote; email requests may span several lines. */
  text: string;
  /** The true (primary) intent, one of {@link SUPPORT_INTENTS}. */
  intent: string;
  /**
   * Ground truth for PII detectors: the kinds of personal data `text` contains, each at most once,
   * in the order email, phone, card, iban, ip. Empty when the text contains none. Digit groups of
   * an IBAN can look like a card number to a naive detector; they count as `iban` only.
   */
  pii: PiiKind[];
}

/** Options of {@link generateSupportRequests}. */
export interface GenerateOptions {
  /** Seed of the pseudo-random generator; any safe integer. Default 42. */
  seed?: number;
  /** Number of rows, 1 to 5,000,000. Default 5000. */
  count?: number;
  /** Start of the period, an ISO-8601 date. Default `2026-01-01T00:00:00Z`. */
  start?: string;
  /** Length of the period in calendar months, 1 to 120. Default 6. */
  months?: number;
  /**
   * Share of requests with typos, in [0, 1]. Default 0.08. This is the average over regions: the
   * `south` region gets three times the rate of the others.
   */
  typoRate?: number;
  /**
   * Share of (non-vague) requests containing PII, in [0, 1]. Default 0.12. Card-like decoy numbers appear in
   * about a sixth of that share again, so `piiRate: 0` yields texts free of PII-like strings.
   */
  piiRate?: number;
  /**
   * The product launch that causes drift, or `false` for a stationary data set. `at` defaults to
   * the UTC day two thirds into the period (2026-05-01 for the defaults); `product` to
   * `Nimbus Hub`. A launch before the start affects all rows; one after the end affects none.
   */
  launch?: { at?: string; product?: string } | false;
  /**
   * Share of vague requests that name no topic ("it still doesn't work, please call me"), in
   * [0, 1]. Default 0.08 (the south region gets more). Their intent is drawn as usual, so no model
   * can get them all right: this is what keeps automation at a high precision below 100% coverage.
   */
  vagueRate?: number;
  /**
   * Share of rows whose recorded intent is a neighbouring one (the mistakes a help desk makes when
   * it files a ticket), in [0, 1]. Default 0.02.
   */
  labelNoise?: number;
}

const DEFAULT_SEED = 42;
const DEFAULT_COUNT = 5000;
const DEFAULT_START = '2026-01-01T00:00:00Z';
const DEFAULT_MONTHS = 6;
const DEFAULT_TYPO_RATE = 0.08;
const DEFAULT_PII_RATE = 0.12;
const DEFAULT_VAGUE_RATE = 0.08;
const DEFAULT_LABEL_NOISE = 0.02;

/** Requests that name no topic: the part of a help desk's traffic only a person can sort out. */
const VAGUE_REQUESTS = [
  'Hi, I have a problem with my account, can you help?',
  'It still does not work. Please call me back.',
  'Following up on my previous message, nobody answered.',
  'Can someone contact me as soon as possible?',
  'I need help with my order please',
  'something is wrong, please fix it',
  'Hello, I wrote to you last week about this and I am still waiting.',
  'Please see my earlier email.',
  'this is the third time i contact you!!',
  'Could you check my account and tell me what is going on?',
  'I have a question about my purchase.',
  'Nothing works since yesterday.',
  'Can I speak to a human please',
  'I am not happy with the service.',
  'Please help, it is urgent.',
  'Is there any update on my case?',
  'I got an email from you and I do not understand it.',
  'My issue is not solved yet.',
  'Hi again, same problem as before.',
  'What should I do now?',
];

/** Which intent a hurried agent files a ticket under by mistake. */
export const CONFUSED_WITH: Readonly<Record<string, readonly string[]>> = {
  password_reset: ['login_problem'],
  login_problem: ['password_reset'],
  billing_question: ['invoice_copy', 'payment_failed'],
  invoice_copy: ['billing_question'],
  payment_failed: ['update_payment_method', 'billing_question'],
  update_payment_method: ['payment_failed'],
  refund_request: ['cancel_order', 'damaged_item'],
  cancel_order: ['refund_request', 'delivery_status'],
  damaged_item: ['refund_request', 'warranty_claim'],
  delivery_status: ['cancel_order', 'change_address'],
  change_address: ['delivery_status'],
  subscription_upgrade: ['billing_question'],
  account_closure: ['privacy_request'],
  privacy_request: ['account_closure'],
  product_question: ['warranty_claim'],
  warranty_claim: ['damaged_item', 'product_question'],
  device_setup: ['product_question'],
};
const DEFAULT_LAUNCH_PRODUCT = 'Nimbus Hub';
const MAX_COUNT = 5_000_000;
const MAX_MONTHS = 120;

const DAY_MS = 86_400_000;
/** How long after the launch the new intent and vocabulary take to reach full strength. */
const LAUNCH_RAMP_MS = 21 * DAY_MS;
const AMBIGUOUS_RATE = 0.03;
/** How much noisier the `south` region is than the others (typos, ambiguity). */
const SOUTH_NOISE_FACTOR = 3;

// ---------------------------------------------------------------------------------------------
// Pseudo-random numbers
// ---------------------------------------------------------------------------------------------

/** mulberry32: tiny, fast and good enough for synthetic data; the same seed gives the same stream. */
class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** An index into `weights`, drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(10));
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Intents and their phrasings
// ---------------------------------------------------------------------------------------------
//
// Templates use `[a|b|c]` for an inline choice (an empty alternative makes a part optional) and
// `{slot}` for values drawn per row (see SLOTS). `phrasings` are written in standard English,
// `casual` ones the way people type into a chat box, `mentions` are clauses used when the request
// also touches this topic in passing.

interface IntentSpec {
  /** Relative frequency before any launch. */
  weight: number;
  phrasings: readonly string[];
  casual: readonly string[];
  mentions: readonly string[];
}

const INTENTS = {
  password_reset: {
    weight: 17,
    phrasings: [
      "I [forgot|can't remember] my password and the reset email never [arrives|arrived].",
      'How do I reset my password?',
      '[Please|Could you] send me a new password reset link[, the last one expired|].',
      'The password reset link says it has expired.',
      'I requested a password reset {times} but got nothing.',
      "Resetting my password isn't working [on {app}|for me|at all].",
      'I need to change my password[ because I think someone else knows it|].',
      "My password doesn't work anymore and I'd like to set a new one.",
      'I clicked "Forgot password" but [never got the email|the link opens an error page].',
      'Can you help me set a new password? I [keep getting|get] "invalid token" with the reset link.',
      "I'd like to reset my password, but the email [goes to an old address|never shows up].",
    ],
    casual: [
      'forgot my password[ again|]',
      'pw reset pls',
      'need a new password link[ asap|]',
      'reset link expired?? [send another|help]',
      'how do i reset my password',
    ],
    mentions: ['I need a password reset', 'my password reset link expired'],
  },
  delivery_status: {
    weight: 15,
    phrasings: [
      'Where is my order {order}? It was supposed to arrive {date}.',
      "My {product} [still hasn't arrived|hasn't shown up yet]. Order {order}.",
      'Can you tell me when order {order} will be delivered?',
      "The tracking for {order} hasn't updated in {days} days.",
      '{courier} says [delivered|it was delivered] but I never received my package.',
      "I ordered a {product} {date} and there's no tracking information yet.",
      'Is there an update on my delivery? The order number is {order}.',
      "What's the estimated delivery date for my {product}?",
      'My parcel seems to be stuck at the depot[ in {city}|].',
      'Order {order} shows "out for delivery" since {date}, is it lost?',
    ],
    casual: [
      'wheres my order {order}',
      'still waiting on my {product}',
      'any update on delivery??',
      'tracking not moving for {days} days',
      'package {order} not here yet',
    ],
    mentions: ["my last order {order} hasn't arrived", "the tracking for my parcel isn't updating"],
  },
  billing_question: {
    weight: 9,
    phrasings: [
      "I was charged {amount} [this month|on my last bill] and I don't understand why.",
      'Why is my bill higher than usual? It went up to {amount}.',
      'Can you explain the {amount} charge on my statement?',
      'I see two charges of {amount} on my account.',
      'When will I be billed for the {plan} plan?',
      'Is tax included in the {amount} I was charged?',
      "My invoice shows a fee I don't recognise.",
      'How does prorated billing work when I change plans mid-month?',
      'I was billed {amount} {date} even though I [paused|downgraded] my plan.',
    ],
    casual: ['why was i charged {amount}', 'whats this {amount} charge', 'bill looks wrong??'],
    mentions: ["there's a {amount} charge I don't understand", 'my bill went up'],
  },
  refund_request: {
    weight: 8,
    phrasings: [
      "I'd like a refund for my {product}, order {order}.",
      'Please refund the {amount} I paid for order {order}.',
      'I returned the {product} {date}, when will I get my money back?',
      "The {product} doesn't work as described and I want my money back.",
      'Can I get a refund? I was charged {amount} by mistake.',
      "I requested a refund {days} days ago and haven't received it.",
      'I want to return the {product} and get a full refund.',
      'How long do refunds take to show up on my card?',
    ],
    casual: ['want my money back for {order}', 'refund pls, {product} is useless', 'where is my refund'],
    mentions: ["I'm still waiting for a refund on {order}", 'I want a refund for the {product}'],
  },
  login_problem: {
    weight: 8,
    phrasings: [
      'I can\'t log in to my account[, it says "invalid credentials"|].',
      'The app logs me out every time I open it.',
      "I'm stuck on the two-factor code screen and can't sign in.",
      'My account is locked after too many login attempts.',
      'The login page just keeps loading[ on {app}|].',
      'I never receive the verification code when I try to sign in.',
      "Signing in with Google doesn't work anymore.",
      "It says my account doesn't exist but I've been a customer for years.",
    ],
    casual: ['cant login', 'locked out of my account', 'login broken??', '2fa code never comes'],
    mentions: ["I can't log in on {app}", 'my account got locked'],
  },
  cancel_order: {
    weight: 7,
    phrasings: [
      'Please cancel order {order}.',
      'I ordered the wrong {product}, can I cancel before it ships?',
      "I'd like to cancel my order {order} placed {date}.",
      "Can you stop order {order}? I don't need it anymore.",
      'I ordered the {product} twice by accident, please cancel one of them.',
      'Is it too late to cancel order {order}?',
    ],
    casual: ['cancel {order}', 'dont want the {product} anymore, cancel pls', 'cancel my order'],
    mentions: ['I want to cancel order {order}'],
  },
  payment_failed: {
    weight: 6,
    phrasings: [
      'My payment [keeps failing|was declined] at checkout.',
      'I tried to pay {amount} but got an error[ saying "transaction declined"|].',
      "The card ending in {last4} was declined but my bank says it's fine.",
      'Checkout fails every time I try to pay for the {product}.',
      "The payment didn't go through, but the money left my account.",
      'Why was my payment declined? I have enough funds.',
    ],
    casual: ['payment failed again', 'card declined?? bank says its fine', 'cant pay, checkout error'],
    mentions: ['my payment got declined', 'checkout failed twice'],
  },
  product_question: {
    weight: 6,
    phrasings: [
      'Does the {product} [come with|include] {feature}?',
      'Is the {product} compatible with {feature}?',
      "What's the difference between the {product} and the {product2}?",
      'How long is the warranty on the {product}?',
      'Will the {product} be back in stock soon?',
      'Can the {product} be used outdoors?',
      'What batteries does the {product} take?',
    ],
    casual: ['does {product} have {feature}', 'is {product} waterproof', '{product} or {product2}?'],
    mentions: ['I have a question about the {product}'],
  },
  change_address: {
    weight: 5,
    phrasings: [
      'I moved to {city} and need to update my shipping address.',
      'Can I change the delivery address for order {order}?',
      "Please update my address on file[, I've moved|].",
      'I entered the wrong address for order {order}, can you fix it?',
      'How do I change my billing address?',
      'Order {order} is going to my old address in {city}, can you redirect it?',
    ],
    casual: ['wrong address on {order}', 'need to change my address', 'moved to {city}, update address'],
    mentions: ['my address needs updating', 'I moved to {city}'],
  },
  damaged_item: {
    weight: 4,
    phrasings: [
      'My {product} arrived [broken|damaged|cracked].',
      'The box was crushed and the {product} inside is damaged. Order {order}.',
      'I received the {product} today but it has a [crack|dent|scratch] on the side.',
      'The {product} from order {order} stopped working after {days} days.',
      'Parts are missing from my {product}[ and the casing is cracked|].',
      'I got a damaged item, what should I do? Order {order}.',
    ],
    casual: ['{product} came broken', 'item damaged, order {order}', 'my {product} is smashed'],
    mentions: ['the {product} arrived damaged'],
  },
  update_payment_method: {
    weight: 4,
    phrasings: [
      'I need to update the card on my account[, the old one expired|].',
      'How do I change my payment method to PayPal?',
      'Please replace my card ending in {last4} with a new one.',
      'My card expired, where do I add the new one?',
      'Can I switch from card payments to direct debit?',
      'I want to remove my old card and add a new payment method.',
    ],
    casual: ['new card, how do i update it', 'change payment method', 'update my card pls'],
    mentions: ['I need to put a new card on file'],
  },
  invoice_copy: {
    weight: 3,
    phrasings: [
      'Could you send me a copy of the invoice for order {order}?',
      'I need an invoice with our VAT number for the order I placed {date}.',
      'Where can I download my invoices?',
      'Please email me the receipt for {amount}.',
      'I need all invoices from last quarter for our accounting.',
      'The invoice for order {order} is missing from my account.',
    ],
    casual: ['need invoice for {order}', 'receipt pls', 'where are my invoices'],
    mentions: ['I need the invoice for {order}'],
  },
  subscription_upgrade: {
    weight: 3,
    phrasings: [
      "I'd like to upgrade to the {plan} plan.",
      'How much does it cost to move from Basic to {plan}?',
      'Can I upgrade my subscription mid-cycle?',
      'What extra features do I get with {plan}?',
      'We need more seats, can we upgrade to {plan}?',
      'Please switch my subscription to the annual {plan} plan.',
    ],
    casual: ['upgrade to {plan}?', 'how do i get {plan}', 'want {plan} plan'],
    mentions: ["I'm considering upgrading to {plan}"],
  },
  account_closure: {
    weight: 1.5,
    phrasings: [
      'Please close my account and delete my data.',
      'I want to cancel my account permanently.',
      'How do I delete my account?',
      'I no longer need this service, please deactivate my account.',
      'Can you remove my account and all my personal information?',
      "I'd like to close my account[ effective immediately|] and stop all emails.",
    ],
    casual: ['delete my account', 'close my account pls'],
    mentions: ["I'm thinking about closing my account"],
  },
  warranty_claim: {
    weight: 1.2,
    phrasings: [
      'My {product} is still under warranty and has stopped working.',
      'How do I make a warranty claim for my {product}?',
      'The {product} broke after {ageMonths} months, is that covered by the warranty?',
      "I'd like a warranty repair or replacement for my {product}.",
    ],
    casual: ['warranty claim for {product}', '{product} died, warranty?'],
    mentions: ['my {product} might need a warranty repair'],
  },
  privacy_request: {
    weight: 0.8,
    phrasings: [
      'Please send me a copy of all the personal data you hold about me.',
      'Under GDPR I request access to my personal data.',
      'What data do you store about me, and who do you share it with?',
      'I want to opt out of all marketing and have my data exported.',
    ],
    casual: ['want a copy of my data', 'what data do u have on me'],
    mentions: ["I'd like a copy of my personal data"],
  },
  device_setup: {
    weight: 17,
    phrasings: [
      "I can't pair my {launch} with the app.",
      "The setup code for my {launch} isn't accepted.",
      'My {launch} shows "hub offline" after the firmware update.',
      'How do I connect the {launch} to my Wi-Fi?',
      'The {launch} light keeps blinking blue and pairing never finishes.',
      'The firmware update on the {launch} is stuck at {pct}%.',
      'Where do I find the setup code for the {launch}?',
      "My sensors won't pair with the {launch}[ after the reset|].",
      'The {launch} keeps dropping off the network[ every night|].',
      'Setting up the {launch} fails at the [pairing|firmware] step.',
    ],
    casual: ['{launch} wont pair', 'hub offline again', 'setup code not working', 'stuck on firmware update'],
    mentions: ["my {launch} won't pair"],
  },
} as const satisfies Record<string, IntentSpec>;

type Intent = keyof typeof INTENTS;

/** The intent that only exists after the product launch. */
const LAUNCH_INTENT: Intent = 'device_setup';

/** Every intent the generator can produce, including `device_setup` which only occurs after the launch. */
export const SUPPORT_INTENTS: readonly string[] = Object.freeze(Object.keys(INTENTS));

const INTENT_KEYS = Object.keys(INTENTS) as Intent[];

/** Intents whose texts pick up the launched product's vocabulary. */
const LAUNCH_AFFECTED = new Set<Intent>([
  'delivery_status',
  'damaged_item',
  'product_question',
  'refund_request',
  'warranty_claim',
  'cancel_order',
  'login_problem',
]);

const TIER_INTENT_FACTORS: Record<CustomerTier, Partial<Record<Intent, number>>> = {
  free: { subscription_upgrade: 1.3, invoice_copy: 0.6 },
  pro: {},
  enterprise: { invoice_copy: 2.5, billing_question: 1.4, subscription_upgrade: 1.5, password_reset: 0.8 },
};

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/** Splits a space-separated word list. */
function list(words: string): readonly string[] {
  return words.split(' ');
}

const PRODUCTS = [
  'Aero Kettle',
  'Lumen Desk Lamp',
  'Breeze Tower Fan',
  'Pulse Earbuds',
  'Terra Backpack',
  'Glide Vacuum',
  'Ember Space Heater',
  'Halo Smart Bulb',
  'Orbit Speaker',
  'Nova Blender',
  'Drift Air Purifier',
  'Cove Coffee Grinder',
  'Atlas Fitness Band',
  'Quill Tablet Stylus',
  'Frost Mini Fridge',
  'Vista Webcam',
];
const FEATURES = [
  'Bluetooth',
  'a timer',
  'a carrying case',
  'USB-C charging',
  'a night mode',
  'replacement filters',
  'voice control',
  'a wall mount',
];
const LAUNCH_FEATURES = [
  'Zigbee sensors',
  'Matter pairing',
  'automatic firmware updates',
  'an offline mode',
  'motion sensors',
  'a second setup code',
];
const LAUNCH_EXTRAS = [
  "It's about the {launch} I ordered {date}.",
  'I bought the {launch} recently and [love|like] it, just this one issue.',
  'By the way, the {launch} keeps saying "hub offline".',
  'Is firmware {fw} for the {launch} out yet?',
  'The setup code card was missing from the {launch} box.',
  "Pairing works fine, so it's not that.",
];
const COURIERS = ['DHL', 'UPS', 'FedEx', 'Royal Mail', 'The courier', 'The tracking page'];
const CITIES = list('Leeds Austin Valencia Lyon Porto Denver Glasgow Seville Bristol Tampa');
const PLANS = ['Plus', 'Pro', 'Team', 'Business'];
const APPS = ['the app', 'the website', 'my phone', 'the iPad app', 'Android'];
const MONTHS = list('January February March April May June July August September October November December');
const WEEKDAYS = list('Sunday Monday Tuesday Wednesday Thursday Friday Saturday');
const FIRST_NAMES = list(
  'Maria James Aisha Wei Olga Kwame Sofia Liam Priya Diego Hannah Yusuf Chloe Mateo Fatima Noah Elena Tomasz Grace Kenji Amara Lucas Ines Omar',
);
const LAST_NAMES = list(
  'Lopez Smith Khan Chen Petrova Mensah Rossi Murphy Patel Garcia Schmidt Okafor Martin Silva Nowak Brown Tanaka Haddad Novak Fischer Costa Walsh',
);

const GREETINGS = {
  formal: ['Dear Support Team,', 'Hello,', 'Good morning,', 'Good afternoon,', 'Dear Sir or Madam,'],
  neutral: ['Hi,', 'Hi there,', 'Hello,', 'Hello team,', 'Hey,'],
  casual: ['hey', 'hi', 'yo', 'hello?', 'hey there'],
};
const SIGNOFFS = {
  formal: ['Kind regards,', 'Best regards,', 'Yours sincerely,', 'Many thanks,'],
  neutral: ['Thanks,', 'Cheers,', 'Thank you,', 'Best,'],
  casual: ['thx', 'ty', 'cheers'],
};
const EXTRAS = [
  "I've been a customer for {years} years.",
  'I already tried [restarting the app|clearing my cache|a different browser|logging out and back in].',
  "This is the [second|third] time I'm contacting you about this.",
  "I [checked|looked through] the help centre but couldn't find an answer.",
  'My account is registered to my work email.',
  'I ordered on {app}, if that matters.',
];
const URGENCY = {
  formal: [
    "This is quite urgent, so I'd appreciate a quick reply.",
    'I need this resolved by [Friday|tomorrow|the end of the week].',
  ],
  neutral: [
    "It's urgent!",
    'Please help ASAP.',
    'I need this sorted today.',
    'Please hurry, this is really frustrating.',
  ],
  casual: ['asap', 'urgent!!', 'pls hurry', 'need this today'],
};
const POLITENESS = {
  formal: ['Thank you for your time.', 'I would appreciate your help.', 'Many thanks in advance.'],
  neutral: ['Thanks in advance.', 'Could you please help?', 'Any help is appreciated.', 'Thanks!'],
  casual: ['thx', 'ty', 'thanks'],
};
const AMBIGUITY_AFTER = ['Also, ', 'Oh, and ', 'Separately, ', 'On top of that, '];
const AMBIGUITY_BEFORE = [
  ", but that's not why I'm writing.",
  ' as well, but that can wait.',
  ', but more importantly:',
];
const PHONE_FILLERS = ['yeah hi, ', 'hi um ', 'hello yes, ', 'so basically ', 'um hi, '];
const EMPHASIS_WORDS = new Set(list('not still never urgent again twice help wrong broken anymore'));

const ABBREVIATIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\byou\b/g, 'u'],
  [/\bplease\b/g, 'pls'],
  [/\bthanks\b/g, 'thx'],
  [/\baccount\b/g, 'acct'],
  [/\bbecause\b/g, 'bc'],
];

// ---------------------------------------------------------------------------------------------
// Template filling
// ---------------------------------------------------------------------------------------------

/** Per-row state shared by the slots of one request, so related values agree. */
interface RowContext {
  rng: Random;
  createdMs: number;
  /** Probability that a product mention names the launched product (0 before the launch). */
  launchShare: number;
  launchProduct: string;
  product?: string;
}

const SLOTS: Record<string, (ctx: RowContext) => string> = {
  product: (ctx) => (ctx.product ??= pickProduct(ctx)),
  product2: (ctx) => {
    let other = ctx.rng.pick(PRODUCTS);
    while (other === ctx.product) other = ctx.rng.pick(PRODUCTS);
    return other;
  },
  feature: (ctx) => ctx.rng.pick(ctx.product === ctx.launchProduct ? LAUNCH_FEATURES : FEATURES),
  launch: (ctx) => ctx.launchProduct,
  order: (ctx) =>
    `${ctx.rng.chance(0.8) ? '#' : ''}${ctx.rng.pick(['A', 'B', 'C', 'D', 'K'])}${ctx.rng.digits(5)}`,
  amount: (ctx) => formatAmount(ctx.rng),
  date: (ctx) => relativeDate(ctx.rng, ctx.createdMs),
  days: (ctx) => String(ctx.rng.between(2, 21)),
  years: (ctx) => String(ctx.rng.between(2, 12)),
  ageMonths: (ctx) => String(ctx.rng.between(3, 23)),
  pct: (ctx) => String(ctx.rng.between(12, 99)),
  fw: (ctx) => `${ctx.rng.between(1, 3)}.${ctx.rng.int(10)}.${ctx.rng.int(20)}`,
  times: (ctx) => ctx.rng.pick(['twice', 'three times', 'several times', '4 times', 'five times']),
  last4: (ctx) => ctx.rng.digits(4),
  plan: (ctx) => ctx.rng.pick(PLANS),
  app: (ctx) => ctx.rng.pick(APPS),
  city: (ctx) => ctx.rng.pick(CITIES),
  courier: (ctx) => ctx.rng.pick(COURIERS),
};

function pickProduct(ctx: RowContext): string {
  return ctx.rng.chance(ctx.launchShare) ? ctx.launchProduct : ctx.rng.pick(PRODUCTS);
}

function fill(template: string, ctx: RowContext): string {
  return template
    .replace(/\[([^\]]*)\]/g, (_, choices: string) => ctx.rng.pick(choices.split('|')))
    .replace(/\{(\w+)\}/g, (_, name: string) => {
      const slot = SLOTS[name];
      if (!slot) throw new Error(`unknown template slot {${name}}`);
      return slot(ctx);
    });
}

function formatAmount(rng: Random): string {
  const value = rng.between(5, 480) + rng.pick([0, 0.99, 0.5, 0.49, 0.95]);
  const text = value.toFixed(2);
  switch (rng.int(4)) {
    case 0:
      return `£${text}`;
    case 1:
      return `€${text}`;
    case 2:
      return `${text} USD`;
    default:
      return `$${text}`;
  }
}

function relativeDate(rng: Random, createdMs: number): string {
  const daysAgo = rng.between(1, 24);
  const d = new Date(createdMs - daysAgo * DAY_MS);
  if (daysAgo === 1) return 'yesterday';
  if (daysAgo < 7 && rng.chance(0.5))
    return rng.chance(0.5) ? `on ${WEEKDAYS[d.getUTCDay()]}` : `${daysAgo} days ago`;
  if (daysAgo >= 7 && daysAgo < 14 && rng.chance(0.3)) return 'last week';
  const month = MONTHS[d.getUTCMonth()];
  return rng.chance(0.5) ? `on ${month} ${d.getUTCDate()}` : `on ${d.getUTCDate()} ${month}`;
}

// ---------------------------------------------------------------------------------------------
// PII values
// ---------------------------------------------------------------------------------------------

const PII_ORDER: readonly PiiKind[] = ['email', 'phone', 'card', 'iban', 'ip'];
const PAYMENT_INTENTS = new Set<Intent>([
  'payment_failed',
  'update_payment_method',
  'billing_question',
  'refund_request',
]);

function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** A 16-digit number on a test-card prefix; `valid: false` makes the check digit wrong on purpose. */
function cardNumber(rng: Random, valid: boolean): string {
  const payload = rng.pick(['4111', '4242', '4000', '5555', '5105', '2223']) + rng.digits(11);
  const check = luhnCheckDigit(payload);
  const digits = payload + String(valid ? check : (check + rng.between(1, 9)) % 10);
  const style = rng.int(10);
  if (style < 5) return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
  if (style < 7) return digits.replace(/(\d{4})(?=\d)/g, '$1-');
  return digits;
}

function ibanMod97(text: string): number {
  let rest = 0;
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) rest = (rest * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rest;
}

/** A syntactically valid IBAN (correct mod-97 check digits) with made-up bank and account numbers. */
function iban(rng: Random): string {
  const country = rng.pick(['GB', 'DE', 'ES']);
  const bban =
    country === 'GB'
      ? rng.pick(['NWBK', 'BARC', 'MIDL', 'LOYD']) + rng.digits(14)
      : rng.digits(country === 'DE' ? 18 : 20);
  const check = String(98 - ibanMod97(bban + country + '00')).padStart(2, '0');
  const compact = country + check + bban;
  // Only GB is ever written compact: a compact DE/ES IBAN is an 18+ digit run a Luhn-based card
  // detector could trip over, which would muddy the card ground truth.
  return country === 'GB' && rng.chance(0.4) ? compact : compact.replace(/(.{4})(?=.)/g, '$1 ');
}

function phoneNumber(rng: Random): string {
  const ukLine = `0${rng.digits(3)}`;
  const usLine = `01${rng.digits(2)}`;
  const area = rng.pick(['201', '212', '303', '415', '512', '617', '702', '808']);
  switch (rng.int(6)) {
    case 0:
      return `+44 20 7946 ${ukLine}`;
    case 1:
      return `020 7946 ${ukLine}`;
    case 2:
      return `(${area}) 555-${usLine}`;
    case 3:
      return `+1 ${area} 555 ${usLine}`;
    case 4:
      return `${area}-555-${usLine}`;
    default:
      return `${area}.555.${usLine}`;
  }
}

function emailAddress(rng: Random, first: string, last: string): string {
  const f = first.toLowerCase();
  const l = last.toLowerCase();
  const local = rng.pick([
    `${f}.${l}`,
    `${f[0]}.${l}`,
    `${f}${l}`,
    `${f}_${l}${rng.between(10, 99)}`,
    `${f}+orders`,
  ]);
  return `${local}@${rng.pick(['example.com', 'example.org', 'example.net'])}`;
}

/** An address from the documentation ranges of RFC 5737. */
function ipAddress(rng: Random): string {
  return `${rng.pick(['192.0.2', '198.51.100', '203.0.113'])}.${rng.between(1, 254)}`;
}

function pickPiiKinds(rng: Random, intent: Intent): PiiKind[] {
  const weights = (): number[] => [
    45,
    30,
    PAYMENT_INTENTS.has(intent) ? 36 : 12,
    intent === 'refund_request' ? 28 : 7,
    intent === 'login_problem' || intent === 'device_setup' ? 24 : 6,
  ];
  const kinds = new Set<PiiKind>([PII_ORDER[rng.weighted(weights())] as PiiKind]);
  if (rng.chance(0.2)) kinds.add(PII_ORDER[rng.weighted(weights())] as PiiKind);
  return PII_ORDER.filter((k) => kinds.has(k));
}

// ---------------------------------------------------------------------------------------------
// Text assembly and noise
// ---------------------------------------------------------------------------------------------

/** A piece of text; protected pieces (PII values) are never altered by noise. */
interface Segment {
  text: string;
  protected?: true;
}

type Style = 'formal' | 'neutral' | 'casual';

interface Customer {
  first: string;
  last: string;
}

const CARD_CONTEXTS: ReadonlyArray<readonly [string, string]> = [
  ['The card I used is ', '.'],
  ['Card number ', ', expiry 09/28.'],
  ['Please charge ', ' instead.'],
  ['It was paid with ', '.'],
];

function piiSentence(rng: Random, kind: PiiKind, customer: Customer): Segment[] {
  const around = (before: string, value: string, after: string): Segment[] => [
    { text: before },
    { text: value, protected: true },
    { text: after },
  ];
  switch (kind) {
    case 'email':
      return around(
        rng.pick([
          'You can reach me at ',
          'My account email is ',
          'Please reply to ',
          'The order was placed with ',
        ]),
        emailAddress(rng, customer.first, customer.last),
        '.',
      );
    case 'phone':
      return around(
        rng.pick(['Call me back on ', 'My phone number is ', 'You can text me at ']),
        phoneNumber(rng),
        '.',
      );
    case 'card': {
      const [before, after] = rng.pick(CARD_CONTEXTS);
      return around(before, cardNumber(rng, true), after);
    }
    case 'iban':
      return around(
        rng.pick(['My IBAN is ', 'Bank details: ', 'For direct debit, my IBAN is ']),
        iban(rng),
        '.',
      );
    case 'ip':
      return around(
        rng.pick(['My IP address is ', "I'm connecting from ", 'Your system blocked ']),
        ipAddress(rng),
        '.',
      );
  }
}

function decoySentence(rng: Random): Segment[] {
  return [
    {
      text: rng.pick([
        'My membership number is ',
        'Tracking reference: ',
        'Loyalty card no. ',
        'The serial number on the box is ',
      ]),
    },
    { text: cardNumber(rng, false), protected: true },
    { text: '.' },
  ];
}

function ambiguousBody(rng: Random, core: string, secondary: Intent, ctx: RowContext): string {
  const clause = fill(rng.pick(INTENTS[secondary].mentions), ctx);
  if (rng.chance(0.6)) return `${core} ${rng.pick(AMBIGUITY_AFTER)}${clause}.`;
  return `${capitalize(clause)}${rng.pick(AMBIGUITY_BEFORE)} ${core}`;
}

function vagueText(rng: Random, style: Style): string {
  const text = rng.pick(VAGUE_REQUESTS);
  return style === 'casual' ? text.toLowerCase().replace(/[.,!?]+/g, '') : text;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function mapUnprotected(segments: Segment[], f: (text: string) => string): void {
  for (const s of segments) if (!s.protected) s.text = f(s.text);
}

function addTypo(rng: Random, segments: Segment[]): void {
  const candidates = segments.filter((s) => !s.protected && /[A-Za-z]{4}/.test(s.text));
  if (candidates.length === 0) return;
  const segment = rng.pick(candidates);
  const words = [...segment.text.matchAll(/[A-Za-z]{4,}/g)];
  const match = rng.pick(words);
  const word = match[0];
  const i = rng.between(1, word.length - 2);
  let typo: string;
  switch (rng.int(4)) {
    case 0:
      typo = word.slice(0, i) + word.charAt(i + 1) + word.charAt(i) + word.slice(i + 2);
      break;
    case 1:
      typo = word.slice(0, i) + word.slice(i + 1);
      break;
    case 2:
      typo = word.slice(0, i) + word.charAt(i) + word.slice(i);
      break;
    default:
      typo = word.slice(0, i) + word.charAt(i + 1) + word.slice(i + 1);
  }
  const at = match.index;
  segment.text = segment.text.slice(0, at) + typo + segment.text.slice(at + word.length);
}

function shoutOneWord(rng: Random, segments: Segment[]): void {
  const candidates: { segment: Segment; index: number; word: string }[] = [];
  for (const segment of segments) {
    if (segment.protected) continue;
    for (const m of segment.text.matchAll(/[a-z]{3,}/g))
      candidates.push({ segment, index: m.index, word: m[0] });
  }
  if (candidates.length === 0) return;
  const emphatic = candidates.filter((c) => EMPHASIS_WORDS.has(c.word));
  const { segment, index, word } = rng.pick(emphatic.length > 0 ? emphatic : candidates);
  segment.text = segment.text.slice(0, index) + word.toUpperCase() + segment.text.slice(index + word.length);
}

function casualize(rng: Random, segments: Segment[]): void {
  if (rng.chance(0.85)) mapUnprotected(segments, (t) => t.toLowerCase());
  if (rng.chance(0.7)) mapUnprotected(segments, (t) => t.replace(/['"]/g, '').replace(/[.,;:](?=\s|$)/g, ''));
  for (const [pattern, short] of ABBREVIATIONS) {
    if (rng.chance(0.5)) mapUnprotected(segments, (t) => t.replace(pattern, short));
  }
}

interface RowPlan {
  intent: Intent;
  secondary: Intent | undefined;
  channel: SupportChannel;
  region: SupportRegion;
  style: Style;
  piiKinds: PiiKind[];
  decoy: boolean;
  typos: number;
  launchExtraRate: number;
}

function composeText(rng: Random, plan: RowPlan, ctx: RowContext): string {
  const { intent, channel, style } = plan;
  const spec: IntentSpec = INTENTS[intent];
  const customer: Customer = { first: rng.pick(FIRST_NAMES), last: rng.pick(LAST_NAMES) };

  const useCasual = style === 'casual' && rng.chance(0.7);
  let core = fill(rng.pick(useCasual ? spec.casual : spec.phrasings), ctx);
  if (plan.secondary) core = ambiguousBody(rng, core, plan.secondary, ctx);

  const body: Segment[] = [{ text: core }];
  const sentence = (text: string): void => {
    body.push({ text: ' ' }, { text });
  };
  if (rng.chance(style === 'formal' ? 0.35 : style === 'casual' ? 0.08 : 0.22))
    sentence(fill(rng.pick(EXTRAS), ctx));
  if (rng.chance(plan.launchExtraRate)) sentence(fill(rng.pick(LAUNCH_EXTRAS), ctx));

  const wantsSignoff = channel === 'email' ? rng.chance(0.75) : channel === 'web' ? rng.chance(0.3) : false;
  const multiline = channel === 'email' && rng.chance(0.6);
  const signatureContacts: Segment[][] = [];
  for (const kind of plan.piiKinds) {
    const inSignature =
      wantsSignoff && multiline && (kind === 'email' || kind === 'phone') && rng.chance(0.5);
    const parts = piiSentence(rng, kind, customer);
    if (inSignature) signatureContacts.push([parts[1] as Segment]);
    else body.push({ text: ' ' }, ...parts);
  }
  if (plan.decoy) body.push({ text: ' ' }, ...decoySentence(rng));
  if (rng.chance(style === 'casual' ? 0.15 : 0.1)) sentence(fill(rng.pick(URGENCY[style]), ctx));
  if (rng.chance(style === 'formal' ? 0.6 : 0.3)) sentence(rng.pick(POLITENESS[style]));

  const segments: Segment[] = [];
  const gap = multiline ? '\n\n' : ' ';
  if (channel === 'phone') {
    if (rng.chance(0.5)) segments.push({ text: rng.pick(PHONE_FILLERS) });
  } else if (channel === 'email' ? rng.chance(0.85) : rng.chance(channel === 'chat' ? 0.4 : 0.3)) {
    segments.push({ text: rng.pick(GREETINGS[style]) + gap });
  }
  segments.push(...body);
  if (wantsSignoff) {
    const name = style === 'formal' ? `${customer.first} ${customer.last}` : customer.first;
    segments.push({ text: `${gap}${rng.pick(SIGNOFFS[style])}${multiline ? '\n' : ' '}${name}` });
    for (const contact of signatureContacts) segments.push({ text: multiline ? '\n' : ', ' }, ...contact);
  }

  if (style === 'casual' || (channel === 'phone' && rng.chance(0.4))) casualize(rng, segments);
  else if (rng.chance(0.04)) mapUnprotected(segments, (t) => t.toLowerCase());
  for (let i = 0; i < plan.typos; i++) addTypo(rng, segments);
  if (rng.chance(plan.region === 'south' ? 0.07 : 0.035)) shoutOneWord(rng, segments);

  return segments.map((s) => s.text).join('');
}

// ---------------------------------------------------------------------------------------------
// Customers, channels and time
// ---------------------------------------------------------------------------------------------

const REGIONS: readonly SupportRegion[] = ['north', 'south', 'east', 'west'];
const REGION_WEIGHTS = [0.27, 0.23, 0.27, 0.23];
const TIERS: readonly CustomerTier[] = ['free', 'pro', 'enterprise'];
const TIER_WEIGHTS = [0.6, 0.3, 0.1];
const CHANNELS: readonly SupportChannel[] = ['email', 'chat', 'phone', 'web'];
const CHANNEL_WEIGHTS_BEFORE = [0.34, 0.26, 0.15, 0.25];
const CHANNEL_WEIGHTS_AFTER = [0.29, 0.36, 0.12, 0.23];

/** Relative request volume per UTC weekday (Sunday first) and hour. */
const WEEKDAY_VOLUME = [0.35, 1, 1, 1, 1, 0.95, 0.45];
const HOUR_VOLUME = [
  0.12, 0.08, 0.06, 0.06, 0.08, 0.12, 0.25, 0.45, 0.8, 1, 1, 1, 0.95, 1, 1, 1, 0.95, 0.85, 0.6, 0.5, 0.45,
  0.35, 0.25, 0.18,
];
/** Volume grows a little after the launch: new customers bring new requests. */
const VOLUME_BEFORE_LAUNCH = 0.87;

/**
 * Per-region noise probabilities scaled so that their average over regions equals `rate`, with
 * `south` SOUTH_NOISE_FACTOR times noisier than the others.
 */
function regionalRates(rate: number): Record<SupportRegion, number> {
  const factor = (r: SupportRegion): number => (r === 'south' ? SOUTH_NOISE_FACTOR : 1);
  let mean = 0;
  REGIONS.forEach((r, i) => (mean += (REGION_WEIGHTS[i] as number) * factor(r)));
  const out = {} as Record<SupportRegion, number>;
  for (const r of REGIONS) out[r] = Math.min(1, (rate * factor(r)) / mean);
  return out;
}

/** Sorted timestamps (ms), drawn by rejection sampling against the weekday/hour volume profile. */
function drawTimestamps(
  rng: Random,
  count: number,
  startMs: number,
  endMs: number,
  launchMs: number,
): Float64Array {
  const span = endMs - startMs;
  const out = new Float64Array(count);
  for (let i = 0; i < count;) {
    const t = startMs + Math.floor((rng.next() * span) / 1000) * 1000;
    const d = new Date(t);
    let volume = (WEEKDAY_VOLUME[d.getUTCDay()] as number) * (HOUR_VOLUME[d.getUTCHours()] as number);
    if (t < launchMs) volume *= VOLUME_BEFORE_LAUNCH;
    if (rng.next() < volume) out[i++] = t;
  }
  return out.sort();
}

function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

interface ResolvedOptions {
  seed: number;
  count: number;
  startMs: number;
  endMs: number;
  typoRate: number;
  piiRate: number;
  vagueRate: number;
  labelNoise: number;
  launch: { atMs: number; product: string } | undefined;
}

function parseDate(value: unknown, name: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms))
    throw new RangeError(`${name} must be an ISO-8601 date, got ${JSON.stringify(value)}`);
  return ms;
}

function checkRate(value: number, name: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a number between 0 and 1, got ${String(value)}`);
  }
  return value;
}

function resolveOptions(options: GenerateOptions): ResolvedOptions {
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${String(seed)}`);
  const count = options.count ?? DEFAULT_COUNT;
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_COUNT}, got ${String(count)}`);
  }
  const months = options.months ?? DEFAULT_MONTHS;
  if (!Number.isInteger(months) || months < 1 || months > MAX_MONTHS) {
    throw new RangeError(`months must be an integer from 1 to ${MAX_MONTHS}, got ${String(months)}`);
  }
  const startMs = parseDate(options.start ?? DEFAULT_START, 'start');
  const end = new Date(startMs);
  end.setUTCMonth(end.getUTCMonth() + months);
  const endMs = end.getTime();

  let launch: ResolvedOptions['launch'];
  if (options.launch !== false) {
    const at = options.launch?.at;
    const atMs =
      at === undefined
        ? Math.floor((startMs + ((endMs - startMs) * 2) / 3) / DAY_MS) * DAY_MS
        : parseDate(at, 'launch.at');
    const product = options.launch?.product ?? DEFAULT_LAUNCH_PRODUCT;
    if (typeof product !== 'string' || product.trim() === '') {
      throw new RangeError('launch.product must be a non-empty string');
    }
    launch = { atMs, product: product.trim() };
  }

  return {
    seed,
    count,
    startMs,
    endMs,
    typoRate: checkRate(options.typoRate ?? DEFAULT_TYPO_RATE, 'typoRate'),
    piiRate: checkRate(options.piiRate ?? DEFAULT_PII_RATE, 'piiRate'),
    vagueRate: checkRate(options.vagueRate ?? DEFAULT_VAGUE_RATE, 'vagueRate'),
    labelNoise: checkRate(options.labelNoise ?? DEFAULT_LABEL_NOISE, 'labelNoise'),
    launch,
  };
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

/**
 * Generates `count` support requests, sorted by `created_at`. Deterministic: the same options
 * give byte-identical rows on every run and platform.
 *
 * Characteristics (defaults): 17 intents; before the launch `password_reset` (~17%) and
 * `delivery_status` (~15%) lead and `privacy_request`, `warranty_claim` and `account_closure` are
 * each under 2%. About 12% of rows contain PII, 8% have typos and 3% are ambiguous. Volume peaks
 * on weekday business hours (UTC).
 *
 * Fairness disparity: customers in the `south` region write casually (lowercase, no punctuation,
 * abbreviations) about four times as often as others, and have three times the typo and
 * ambiguity rates (the overall rates stay as configured), so classifiers score lower there.
 *
 * Drift: from `launch.at` on, the launched product and its vocabulary (pairing, firmware, setup
 * code, "hub offline") appear in existing intents, the new intent `device_setup` ramps up over
 * three weeks to about 14% of requests, and the channel mix shifts toward chat. `device_setup`
 * never occurs before the launch.
 *
 * @throws RangeError when an option is out of range or a date cannot be parsed.
 *
 * @example
 * const rows = generateSupportRequests({ seed: 7, count: 20_000 });
 * rows[0]; // { id: 'req-000001', created_at: '2026-01-01T…Z', channel: 'email', intent: …, pii: [] }
 * const afterLaunch = generateSupportRequests({ launch: { at: '2026-03-01', product: 'Nimbus Hub' } });
 * const stationary = generateSupportRequests({ launch: false });
 */
export function generateSupportRequests(options: GenerateOptions = {}): SupportRequest[] {
  const opts = resolveOptions(options);
  const rng = new Random(opts.seed);
  const launchMs = opts.launch?.atMs ?? Infinity;
  const launchProduct = opts.launch?.product ?? DEFAULT_LAUNCH_PRODUCT;
  const timestamps = drawTimestamps(rng, opts.count, opts.startMs, opts.endMs, launchMs);
  const typoRates = regionalRates(opts.typoRate);
  const ambiguityRates = regionalRates(AMBIGUOUS_RATE);
  const vagueRates = regionalRates(opts.vagueRate);
  const idWidth = Math.max(6, String(opts.count).length);
  const weights = new Array<number>(INTENT_KEYS.length);

  const rows: SupportRequest[] = new Array(opts.count);
  for (let i = 0; i < opts.count; i++) {
    const createdMs = timestamps[i] as number;
    const launched = createdMs >= launchMs;
    // 0 before the launch, rising to 1 over LAUNCH_RAMP_MS after it.
    const ramp = launched ? Math.min(1, (createdMs - launchMs) / LAUNCH_RAMP_MS) : 0;

    const region = REGIONS[rng.weighted(REGION_WEIGHTS)] as SupportRegion;
    const tier = TIERS[rng.weighted(TIER_WEIGHTS)] as CustomerTier;
    const channelWeights = CHANNEL_WEIGHTS_BEFORE.map(
      (w, c) => w + ramp * ((CHANNEL_WEIGHTS_AFTER[c] as number) - w),
    );
    const channel = CHANNELS[rng.weighted(channelWeights)] as SupportChannel;

    INTENT_KEYS.forEach((key, k) => {
      let w = INTENTS[key].weight * (TIER_INTENT_FACTORS[tier][key] ?? 1);
      if (key === LAUNCH_INTENT) w = launched ? w * (0.15 + 0.85 * ramp) : 0;
      weights[k] = w;
    });
    const intent = INTENT_KEYS[rng.weighted(weights)] as Intent;

    let secondary: Intent | undefined;
    if (rng.chance(ambiguityRates[region])) {
      do secondary = INTENT_KEYS[rng.weighted(weights)] as Intent;
      while (secondary === intent);
    }

    let style: Style = 'neutral';
    if (rng.chance(region === 'south' ? 0.4 : 0.1)) style = 'casual';
    else if (channel !== 'chat' && rng.chance(0.35)) style = 'formal';

    let typos = 0;
    if (rng.chance(typoRates[region]))
      typos = 1 + (rng.chance(0.35) ? 1 : 0) + (region === 'south' && rng.chance(0.4) ? 1 : 0);

    const vague = rng.chance(vagueRates[region]);
    const piiKinds = !vague && rng.chance(opts.piiRate) ? pickPiiKinds(rng, intent) : [];
    const plan: RowPlan = {
      intent,
      secondary,
      channel,
      region,
      style,
      piiKinds,
      decoy: rng.chance(opts.piiRate / 6),
      typos,
      launchExtraRate:
        launched && intent !== LAUNCH_INTENT ? (LAUNCH_AFFECTED.has(intent) ? 0.08 + 0.17 * ramp : 0.03) : 0,
    };
    const ctx: RowContext = { rng, createdMs, launchShare: launched ? 0.1 + 0.25 * ramp : 0, launchProduct };

    rows[i] = {
      id: `req-${String(i + 1).padStart(idWidth, '0')}`,
      created_at: formatTimestamp(createdMs),
      channel,
      region,
      customer_tier: tier,
      text: vague ? vagueText(rng, style) : composeText(rng, plan, ctx),
      intent: rng.chance(opts.labelNoise) ? (rng.pick(CONFUSED_WITH[intent] ?? [intent]) as Intent) : intent,
      pii: piiKinds,
    };
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Serialisation
// ---------------------------------------------------------------------------------------------

const CSV_COLUMNS = [
  'id',
  'created_at',
  'channel',
  'region',
  'customer_tier',
  'text',
  'intent',
  'pii',
] as const;

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Serialises rows as RFC 4180 CSV: a header line, CRLF line breaks, fields containing a comma,
 * quote or line break quoted with inner quotes doubled, and `pii` joined with `;`.
 */
export function supportRequestsToCsv(rows: SupportRequest[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows) {
    lines.push(
      CSV_COLUMNS.map((column) => csvField(column === 'pii' ? row.pii.join(';') : row[column])).join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** Serialises rows as JSON Lines: one JSON object per line, keys in a fixed order, final newline. */
export function supportRequestsToJsonl(rows: SupportRequest[]): string {
  let out = '';
  for (const row of rows) {
    const ordered: SupportRequest = {
      id: row.id,
      created_at: row.created_at,
      channel: row.channel,
      region: row.region,
      customer_tier: row.customer_tier,
      text: row.text,
      intent: row.intent,
      pii: row.pii,
    };
    out += JSON.stringify(ordered) + '\n';
  }
  return out;
}
