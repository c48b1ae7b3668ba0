#!/usr/bin/env bash
# Regenerates the TriggerWord sample's clips (train/ and test/, clips.tsv) with
# espeak-ng and sox. Deterministic: fixed word and voice lists, speeds and
# pitches drawn from a fixed-seed LCG, sox run in repeatable mode (-R) without
# dither (-D). Needs: apt-get install -y espeak-ng sox (and python3 for the check).
#
#   samples/TriggerWord/clips/make_clips.sh          regenerate everything, then check
#   samples/TriggerWord/clips/make_clips.sh --check  only check the committed clips
set -euo pipefail
cd "$(dirname "$0")"

RATE=8000            # Hz; 16-bit PCM mono
MAX_WORD_SECONDS=1.0 # every trigger/negative clip must be at most this long
BG_SECONDS=10        # length of each background clip
SEED=20240611

TRIGGER="activate"

# Negatives: words that are not the trigger. The first ten sound close to it.
NEGATIVES=(
  active activity captivate relate motivate cultivate evaluate actor vacate estimate
  hello yes stop start music weather light turn play open
  computer today please water morning number people time garden table
)

# Voices are espeak-ng language voices with a "+variant". The held-out voices
# share neither their accent (en-us-nyc, en-gb-x-gbcwmd) nor their variant
# (f5, m6, m8, klatt3, klatt4, linda) with any training voice.
TRAIN_VOICES=(
  en-us en-us+f2 en-us+m3 en+f3 en+m1 en-gb-x-rp+f1 en-gb-x-rp+m4
  en-gb-scotland+f4 en-gb-scotland+m2 en-gb-x-gbclan+m7 en-gb-x-gbclan+f2
  en-029+m5 en-029+f3 en-us+klatt
)
TEST_VOICES=(
  en-us-nyc+f5 en-us-nyc+m6 en-us-nyc+klatt3
  en-gb-x-gbcwmd+m8 en-gb-x-gbcwmd+linda en-gb-x-gbcwmd+klatt4
)

TRIGGERS_PER_TRAIN_VOICE=4   # 14 voices x 4 = 56 train trigger clips
TRIGGERS_PER_TEST_VOICE=3    #  6 voices x 3 = 18 test trigger clips
NEGATIVES_PER_WORD_TRAIN=6   # 30 words x 6 = 180 train negative clips
NEGATIVES_PER_WORD_TEST=3    # 30 words x 3 =  90 test negative clips

# Punctuation changes espeak-ng's intonation (statement, continuation, question, exclamation).
ENDINGS=("" "," "?" "!")

check() {
  python3 - "$RATE" "$MAX_WORD_SECONDS" <<'PY'
import os, sys, wave
rate, max_word = int(sys.argv[1]), float(sys.argv[2])
bad, counts, sizes = [], {}, {}
for root, _, files in sorted(os.walk(".")):
    for f in sorted(files):
        if not f.endswith(".wav"):
            continue
        p = os.path.join(root, f)
        with wave.open(p) as w:
            ch, sw, fr, n, ct = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes(), w.getcomptype()
        seconds = n / fr
        if (ch, sw, fr, ct) != (1, 2, rate, "NONE"):
            bad.append(f"{p}: channels={ch} bytes/sample={sw} rate={fr} comp={ct}")
        if "/backgrounds/" not in p and not (0.1 <= seconds <= max_word):
            bad.append(f"{p}: {seconds:.3f} s")
        key = os.path.dirname(p)[2:]
        counts[key] = counts.get(key, 0) + 1
        sizes[key] = sizes.get(key, 0) + os.path.getsize(p)
for k in sorted(counts):
    print(f"{k:24s} {counts[k]:4d} clips {sizes[k] / 1e6:6.2f} MB")
print(f"{'total':24s} {sum(counts.values()):4d} clips {sum(sizes.values()) / 1e6:6.2f} MB")
if bad:
    print("\n".join(bad)); sys.exit(f"{len(bad)} bad clip(s)")
print(f"all clips: 16-bit PCM, mono, {rate} Hz; words <= {max_word} s")
PY
  du -sh .
}

if [[ "${1:-}" == "--check" ]]; then check; exit 0; fi

for tool in espeak-ng sox python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y espeak-ng sox python3" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Fixed-seed linear congruential generator (same constants as C's rand()); sets R.
state=$SEED
next() { state=$(( (state * 1103515245 + 12345) & 0x7fffffff )); R=$(( state >> 8 )); }
pick_speed_pitch() { next; SPEED=$(( 140 + R % 71 )); next; PITCH=$(( 30 + R % 46 )); }

# speak OUT VOICE SPEED PITCH TEXT: synthesise, trim leading/trailing silence,
# resample to RATE, normalise the peak to -3 dBFS.
speak() {
  espeak-ng -v "$2" -s "$3" -p "$4" -w "$tmp/raw.wav" "$5"
  sox -R -D "$tmp/raw.wav" -b 16 -c 1 -e signed-integer "$1" \
    silence 1 0.02 0.1% reverse silence 1 0.02 0.1% reverse vol 0.5 rate -h "$RATE" gain -n -3
}

rm -rf train test clips.tsv
mkdir -p train/activate train/negatives train/backgrounds test/activate test/negatives test/backgrounds
printf 'split\tfile\ttext\tvoice\tspeed\tpitch\n' > clips.tsv

# Trigger clips.
for split in train test; do
  if [[ $split == train ]]; then voices=("${TRAIN_VOICES[@]}"); per=$TRIGGERS_PER_TRAIN_VOICE
  else voices=("${TEST_VOICES[@]}"); per=$TRIGGERS_PER_TEST_VOICE; fi
  i=0
  for voice in "${voices[@]}"; do
    for (( k = 0; k < per; k++ )); do
      i=$(( i + 1 )); pick_speed_pitch
      text="$TRIGGER${ENDINGS[$(( (i + k) % ${#ENDINGS[@]} ))]}"
      file=$(printf 'activate/%03d.wav' "$i")
      speak "$split/$file" "$voice" "$SPEED" "$PITCH" "$text"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$split" "$split/$file" "$TRIGGER" "$voice" "$SPEED" "$PITCH" >> clips.tsv
    done
  done
done

# Negative clips: each word by several voices, rotating through the voice list.
for split in train test; do
  if [[ $split == train ]]; then voices=("${TRAIN_VOICES[@]}"); per=$NEGATIVES_PER_WORD_TRAIN
  else voices=("${TEST_VOICES[@]}"); per=$NEGATIVES_PER_WORD_TEST; fi
  nv=${#voices[@]}
  for (( w = 0; w < ${#NEGATIVES[@]}; w++ )); do
    word=${NEGATIVES[$w]}
    for (( k = 0; k < per; k++ )); do
      voice=${voices[$(( (w + k * (nv / per)) % nv ))]}
      pick_speed_pitch
      file=$(printf 'negatives/%s_%d.wav' "$word" "$(( k + 1 ))")
      speak "$split/$file" "$voice" "$SPEED" "$PITCH" "$word${ENDINGS[$(( (w + k) % ${#ENDINGS[@]} ))]}"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$split" "$split/$file" "$word" "$voice" "$SPEED" "$PITCH" >> clips.tsv
    done
  done
done

# Backgrounds: synthesised noise, hum and low, muffled speech babble (no trigger
# word in it). Peaks normalised to -12 dBFS, so a -3 dBFS word overlaid on one
# cannot clip.
noise() { # OUT TYPE SKIP: TYPE noise of BG_SECONDS, starting SKIP s into sox's fixed-seed stream
  sox -R -D -n -r "$RATE" -b 16 -c 1 "$1" synth $(( BG_SECONDS + $3 )) "$2" trim "$3"
}
hum() { # OUT FUNDAMENTAL: mains hum with its 2nd and 3rd harmonics
  sox -R -D -n -r "$RATE" -b 16 -c 1 "$tmp/h1.wav" synth "$BG_SECONDS" sine "$2"
  sox -R -D -n -r "$RATE" -b 16 -c 1 "$tmp/h2.wav" synth "$BG_SECONDS" sine "$(( 2 * $2 ))"
  sox -R -D -n -r "$RATE" -b 16 -c 1 "$tmp/h3.wav" synth "$BG_SECONDS" sine "$(( 3 * $2 ))"
  sox -R -D -m -v 0.6 "$tmp/h1.wav" -v 0.3 "$tmp/h2.wav" -v 0.15 "$tmp/h3.wav" "$1"
}
BABBLE_TEXTS=(
  "the bus was late again this morning so we walked along the river to the station and bought some bread on the way"
  "could you pass me the salt and the pepper please and then tell me what you thought of the film last night"
  "the meeting moved to thursday because half of the team is away and the room on the second floor is being painted"
  "my sister grows tomatoes beans and potatoes in a small garden behind the house and gives most of them away"
  "there is a storm coming from the west so the boats stayed in the harbour and the market closed early"
  "he read the whole book in one evening and then spent the next day telling everybody how it ends"
)
babble() { # OUT FIRST_TEXT VOICE... : several voices talking at once, each from a different text, low-passed
  local out=$1 first=$2; shift 2
  local parts=() j=0
  for voice in "$@"; do
    j=$(( j + 1 )); pick_speed_pitch
    espeak-ng -v "$voice" -s "$SPEED" -p "$PITCH" -w "$tmp/b$j.raw.wav" \
      "${BABBLE_TEXTS[$(( (first + j) % ${#BABBLE_TEXTS[@]} ))]} ${BABBLE_TEXTS[$(( (first + j + 2) % ${#BABBLE_TEXTS[@]} ))]} ${BABBLE_TEXTS[$(( (first + j + 4) % ${#BABBLE_TEXTS[@]} ))]}"
    # Start each talker at a different offset, then cut to BG_SECONDS (-V1: trim
    # stops before the end padding, which sox would warn about).
    sox -V1 -R -D "$tmp/b$j.raw.wav" -b 16 -c 1 "$tmp/b$j.wav" vol 0.5 rate -h "$RATE" pad "$(( j * 3 / 10 )).$(( j * 3 % 10 ))" "$BG_SECONDS" trim 0 "$BG_SECONDS"
    parts+=("$tmp/b$j.wav")
  done
  sox -R -D -m "${parts[@]}" "$tmp/babble.wav" lowpass 1200 reverb 40
  sox -R -D "$tmp/babble.wav" -c 1 "$out" remix - trim 0 "$BG_SECONDS"
}
finish_bg() { # IN OUT DESCRIPTION SPLIT
  sox -R -D "$1" -r "$RATE" -b 16 -c 1 "$2" gain -n -12
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$4" "$2" "background: $3" "-" "-" "-" >> clips.tsv
}

noise "$tmp/pink.wav" pinknoise 0
finish_bg "$tmp/pink.wav" train/backgrounds/01_pink_noise.wav "pink noise" train

noise "$tmp/brown.wav" brownnoise 0
hum "$tmp/hum50.wav" 50
sox -R -D -m -v 0.8 "$tmp/brown.wav" -v 0.2 "$tmp/hum50.wav" "$tmp/bh.wav"
finish_bg "$tmp/bh.wav" train/backgrounds/02_brown_noise_hum50.wav "brown noise and 50 Hz hum" train

noise "$tmp/white.wav" whitenoise 0
sox -R -D "$tmp/white.wav" "$tmp/fan.wav" lowpass 600 lowpass 600
finish_bg "$tmp/fan.wav" train/backgrounds/03_fan_rumble.wav "low-passed white noise (fan-like rumble)" train

babble "$tmp/bab1.wav" 0 en-us+m3 en+f3 en-gb-x-rp+m4 en-029+f3
noise "$tmp/pink2.wav" pinknoise "$BG_SECONDS"
sox -R -D -m -v 0.9 "$tmp/bab1.wav" -v 0.1 "$tmp/pink2.wav" "$tmp/bab1n.wav"
finish_bg "$tmp/bab1n.wav" train/backgrounds/04_babble.wav "muffled babble of 4 training voices and a little pink noise" train

noise "$tmp/brown2.wav" brownnoise "$BG_SECONDS"
hum "$tmp/hum60.wav" 60
sox -R -D -m -v 0.7 "$tmp/brown2.wav" -v 0.3 "$tmp/hum60.wav" "$tmp/bh2.wav"
finish_bg "$tmp/bh2.wav" test/backgrounds/01_brown_noise_hum60.wav "brown noise and 60 Hz hum" test

babble "$tmp/bab2.wav" 2 en-us-nyc+f5 en-gb-x-gbcwmd+m8 en-us-nyc+m6
noise "$tmp/pink3.wav" pinknoise $(( 2 * BG_SECONDS ))
sox -R -D -m -v 0.9 "$tmp/bab2.wav" -v 0.1 "$tmp/pink3.wav" "$tmp/bab2n.wav"
finish_bg "$tmp/bab2n.wav" test/backgrounds/02_babble.wav "muffled babble of 3 held-out voices and a little pink noise" test

check
