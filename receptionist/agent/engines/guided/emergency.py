"""Emergency and clinical-risk lines: heard first, whatever else the caller says.

Recall matters more than precision here: a false alarm costs one sentence (the clinic's
emergency number), a miss can cost a life. So the patterns are broad, in the first and the
third person ("my husband has collapsed", "he's not breathing"), and only the everyday figures
of speech that name no danger are kept out: "my back is killing me", "I'm dying to get in",
"dead tired", "an emergency appointment", "a heart rate monitor".

`plain_words` is the one normaliser the intents share: folded text with contractions and
speech-to-text spellings brought to one form ("can not", "cannot", "can’t" all become "cant").
"""

from __future__ import annotations

import re

from receptionist.agent.matching import fold

# Two-word forms speech-to-text writes out, folded to the contraction the cues are written in.
_CONTRACTIONS = {
    "can not": "cant", "cannot": "cant", "will not": "wont", "do not": "dont",
    "does not": "doesnt", "did not": "didnt", "is not": "isnt", "are not": "arent",
    "was not": "wasnt", "could not": "couldnt", "would not": "wouldnt", "i am": "im",
    "i will": "ill", "i would": "id", "he is": "hes", "she is": "shes",
    "it is": "its", "that is": "thats", "what is": "whats", "when is": "whens",
    "they are": "theyre", "going to": "gonna", "want to": "wanna",
}  # fmt: skip
# "OD'd" folds to "odd": read it as the word it stands for before the apostrophe goes.
_OVERDOSED = re.compile(r"\bO\.?D\.?(?:['-]e?d|ed)\b", re.IGNORECASE)
_CONTRACTED = re.compile(r"\b(" + "|".join(map(re.escape, _CONTRACTIONS)) + r")\b")


def plain_words(text: str) -> str:
    """Folded words with contractions in one spelling: "I can not" -> "i cant"."""
    text = _OVERDOSED.sub(" overdosed ", text.replace("\u2019", "'").replace("\u2018", "'"))
    folded = fold(text)
    return _CONTRACTED.sub(lambda m: _CONTRACTIONS[m.group(1)], folded)


_WHO = r"(my|his|her|their|the|your)"
_SIDE = r"(one|the|his|her|my|their) (left |right )?side"
_LIMB = r"(left |right )?(arm|leg|hand)"

# (what it is, pattern over plain_words). Named so a test or a log can say which one fired.
_RISKS: list[tuple[str, str]] = [
    ("chest", r"chest (pain|pains|tightness|pressure)"),
    (
        "chest",
        r"chest (is|feels|went|has gone|gone|getting) (really |very |so )?(tight|heavy|sore"
        r"|hurting|crushing)",
    ),
    (
        "chest",
        rf"(pain|pains|tightness|pressure|crushing|squeezing) (in|on|across|around) {_WHO} chest",
    ),
    ("chest", r"(tight|heavy|crushing) chest"),
    ("chest", rf"(clutching|holding|grabbing|gripping) {_WHO} chest"),
    ("chest", r"heart attack|cardiac arrest|heart (has )?stopped"),
    (
        "breathing",
        r"(cant|couldnt|unable to|struggling to|struggle to|hard to|can barely|barely) (breathe"
        r"|breath|catch (my|his|her|their) breath)",
    ),
    ("breathing", r"(not|isnt|stopped|stop|no longer|wont start) breathing"),
    (
        "breathing",
        r"(trouble|difficulty|difficulties|problems|struggling|struggle) (with )?breathing",
    ),
    (
        "breathing",
        r"breathing (difficulties|problems|trouble)|short(ness)? of breath|gasping|choking"
        r"|turning blue|lips (are |have )?(gone |going |turning )?blue",
    ),
    (
        "collapse",
        r"collaps\w*|passed out|pass out|passing out|fainted|fainting|blacked out|knocked out",
    ),
    (
        "collapse",
        r"unconscious|unresponsive|(not|isnt|arent|wasnt) (responding|responsive|conscious"
        r"|waking up)|wont wake( up)?|cant wake (him|her|them)( up)?",
    ),
    ("collapse", r"seizure|convuls\w*|having (a fit|fits)|(hes|shes|theyre|is) fitting"),
    ("stroke", r"stroke"),
    (
        "stroke",
        r"(face|mouth|smile) (is |has |went |gone |has gone )?(drooping|droopy|drooped|dropped"
        r"|dropping|lopsided|numb)",
    ),
    (
        "stroke",
        r"drooping|slurr\w*|(cant|couldnt) (speak|talk) (properly|right|clearly|straight)"
        r"|talking (funny|gibberish)|words (are )?(coming out )?(wrong|jumbled)",
    ),
    ("stroke", rf"(cant|couldnt) (move|feel|lift|use) {_SIDE}"),
    ("stroke", rf"(cant|couldnt) (move|feel|lift|use) (his|her|their) {_LIMB}"),
    ("stroke", rf"suddenly (cant|couldnt) (move|feel|lift|use) (my|his|her|their) {_LIMB}"),
    ("stroke", rf"(numb|numbness|weak|weakness|paralysed|paralyzed) (on|down|in) {_SIDE}"),
    ("stroke", r"(one side|half) of (my|his|her|their) (body|face)"),
    (
        "bleeding",
        r"bleeding (heavily|badly|a lot|so much|everywhere|profusely|non stop|like crazy)",
    ),
    (
        "bleeding",
        r"(wont|cant|doesnt|didnt|not) stop(ped)? (the )?bleeding|bleeding (that |which )?(wont"
        r"|doesnt|isnt) stop\w*|(heavy|severe|bad|lots of) bleeding",
    ),
    (
        "bleeding",
        r"(lot of|lots of|so much) blood|blood (everywhere|is pouring|pouring|gushing|spurting)"
        r"|(losing|lost) (a lot of |lots of |so much )?blood|haemorrhag\w*|hemorrhag\w*",
    ),
    (
        "suicide",
        r"suicid\w*|kill (myself|himself|herself|themselves)|killing (myself|himself|herself)",
    ),
    (
        "suicide",
        r"end (my|his|her|their) (own )?life|end it all|take (my|his|her|their) (own )?life"
        r"|ending (my|it) (life|all)",
    ),
    (
        "suicide",
        r"(wanna|want to|going to|gonna) die|(dont|doesnt) (wanna|want to) (live|be alive"
        r"|be here) (anymore|any more)|better off dead|no reason to live|not worth living",
    ),
    (
        "suicide",
        r"self harm\w*|(harm|cut|cutting|harming) (myself|himself|herself|themselves)|hurt (myself"
        r"|himself|herself) on purpose|(wanna|want to|feel like|going to|gonna|thinking (of|about)"
        r"|thought about) (hurt|hurting|harm|harming) (myself|himself|herself|themselves)",
    ),
    (
        "overdose",
        r"overdos\w*|\bod\b|(took|taken|swallowed) (way )?too many|too many (pills|tablets"
        r"|painkillers|sleeping pills)|(took|taken|swallowed) (a whole|the whole|all (of )?(my|his"
        r"|her|the)) (bottle|packet|pack|box|pills|tablets)|(took|taken|had) too much (of )?(his "
        r"|her |my )?(medication|medicine|insulin|panadol|paracetamol|pills)",
    ),
    ("allergy", r"anaphyla\w*|allergic reaction|epipen|epi pen"),
    (
        "allergy",
        r"(throat|tongue|lips|lip|mouth) (is |are |has |have |keeps )?(swelling|swollen|closing"
        r"|closing up|tight|puffing up|swelled)",
    ),
    ("allergy", r"(cant|couldnt) swallow"),
    (
        "spine",
        r"(cant|couldnt) feel (my|his|her|their) (legs|feet)|lost control of (my|his|her"
        r"|their) (bladder|bowels)|numb (down there|groin|saddle)",
    ),
    (
        "dying",
        r"(im|i think im|hes|shes|theyre|i feel like im) dying(?! (to|for|of laughter|of boredom))",
    ),
    ("ambulance", r"ambulance|triple zero|000|call 911|paramedic\w*"),
    (
        "emergency",
        r"(?<!not an )(?<!not a )(?<!non )(?<!no )emergency(?! (appointment|booking|session|slot"
        r"|contact|number|appointments|spot))",
    ),
    (
        "head",
        r"hit (my|his|her|their) head (and|now)|(vomiting|throwing up) after (a fall|hitting)",
    ),
    (
        "poison",
        r"poison\w*|bitten by a (snake|spider)|snake bite|snakebite"
        r"|(swallowed|drank|drunk|ate|eaten) (some |a lot of |the )?(bleach|poison|detergent"
        r"|chemicals|battery|batteries|button battery|pills|tablets|medicine|rat bait|weed killer)",
    ),
]  # fmt: skip
_COMPILED = [(name, re.compile(rf"\b(?:{pattern})\b")) for name, pattern in _RISKS]

# Risk words in a sense that names no danger: taken out of the text before the patterns run.
_FIGURES = re.compile(
    r"\b("
    r"heart rate( monitor)?|(not|isnt|wasnt|no) (an |a )?emergency|nothing urgent|not urgent"
    r"|heat stroke"
    r"|swimming stroke|stroke (of luck|of genius)|dying (to|for) \w+|dead (tired|set|keen|easy)"
    r"|blood (test|tests|pressure|work)|(my|a) (dead|sore) (arm|leg)"
    r"|collapsed (arch|arches|disc|discs|disk|disks)|collapsed on (the|my) (couch|sofa|bed)"
    r"|stroke (rehab\w*|recovery|patient|survivor)"
    r"|(after|since) (a|my|his|her|their) stroke|post stroke|(had|has had) a stroke (last|in|a few"
    r"|some|two|three|years|months|weeks|back)"
    r")\b"
)


def emergency_reason(text: str) -> str | None:
    """What kind of emergency the words describe ("chest", "stroke", ...), or None."""
    said = _FIGURES.sub(" ", plain_words(text))
    return next((name for name, pattern in _COMPILED if pattern.search(said)), None)


def is_emergency(text: str) -> bool:
    """Whether the caller describes an emergency or a clinical risk, for them or someone else."""
    return emergency_reason(text) is not None
