#!/usr/bin/env bash
# Regenerates the SpokenDigits sample's clips (train/ and test/, each with a
# transcripts.tsv, and clips.tsv) with espeak-ng and sox. Deterministic: fixed
# voice lists, digit strings, speeds and pitches drawn from a fixed-seed LCG,
# sox run in repeatable mode (-R) without dither (-D).
# Needs: apt-get install -y espeak-ng sox (and python3 for the check).
#
#   samples/SpokenDigits/clips/make_clips.sh          regenerate everything, then check
#   samples/SpokenDigits/clips/make_clips.sh --check  only check the committed clips
set -euo pipefail
cd "$(dirname "$0")"

RATE=8000         # Hz; 16-bit PCM mono
MIN_DIGITS=3
MAX_DIGITS=5
TRAIN_CLIPS=140   # 10 per training voice
TEST_CLIPS=60     # 10 per held-out voice
SEED=20240612

WORDS=(zero one two three four five six seven eight nine)

# Voices are espeak-ng language voices with a "+variant" (the same split as the
# TriggerWord sample). The held-out voices share neither their accent
# (en-us-nyc, en-gb-x-gbcwmd) nor their variant (f5, m6, m8, klatt3, klatt4,
# linda) with any training voice.
TRAIN_VOICES=(
  en-us en-us+f2 en-us+m3 en+f3 en+m1 en-gb-x-rp+f1 en-gb-x-rp+m4
  en-gb-scotland+f4 en-gb-scotland+m2 en-gb-x-gbclan+m7 en-gb-x-gbclan+f2
  en-029+m5 en-029+f3 en-us+klatt
)
TEST_VOICES=(
  en-us-nyc+f5 en-us-nyc+m6 en-us-nyc+klatt3
  en-gb-x-gbcwmd+m8 en-gb-x-gbcwmd+linda en-gb-x-gbcwmd+klatt4
)

check() {
  python3 - "$RATE" "$MIN_DIGITS" "$MAX_DIGITS" <<'PY'
import os, sys, wave
rate, lo, hi = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
words = set("zero one two three four five six seven eight nine".split())
bad, total_bytes, total_clips = [], 0, 0
for split in ("train", "test"):
    with open(os.path.join(split, "transcripts.tsv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    listed = {r[0] for r in rows}
    on_disk = {f for f in os.listdir(split) if f.endswith(".wav")}
    if listed != on_disk:
        bad.append(f"{split}: transcripts.tsv and the .wav files differ: {sorted(listed ^ on_disk)[:5]}")
    seconds, size = [], 0
    for name, text in rows:
        ws = text.split()
        if not (lo <= len(ws) <= hi and set(ws) <= words):
            bad.append(f"{split}/{name}: transcript {text!r}")
        p = os.path.join(split, name)
        with wave.open(p) as w:
            ch, sw, fr, n, ct = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes(), w.getcomptype()
        if (ch, sw, fr, ct) != (1, 2, rate, "NONE"):
            bad.append(f"{p}: channels={ch} bytes/sample={sw} rate={fr} comp={ct}")
        seconds.append(n / fr)
        size += os.path.getsize(p)
    total_bytes += size; total_clips += len(rows)
    print(f"{split:5s} {len(rows):4d} clips {size / 1e6:5.2f} MB, "
          f"{min(seconds):.2f}-{max(seconds):.2f} s (mean {sum(seconds) / len(seconds):.2f} s)")
print(f"total {total_clips:4d} clips {total_bytes / 1e6:5.2f} MB")
if bad:
    print("\n".join(bad)); sys.exit(f"{len(bad)} problem(s)")
print(f"all clips: 16-bit PCM, mono, {rate} Hz; every clip has a {lo}-{hi} digit transcript")
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

rm -rf train test clips.tsv
mkdir -p train test
printf 'split\tfile\ttranscript\tvoice\tspeed\tpitch\n' > clips.tsv

for split in train test; do
  if [[ $split == train ]]; then voices=("${TRAIN_VOICES[@]}"); count=$TRAIN_CLIPS
  else voices=("${TEST_VOICES[@]}"); count=$TEST_CLIPS; fi
  : > "$split/transcripts.tsv"
  for (( i = 1; i <= count; i++ )); do
    voice=${voices[$(( (i - 1) % ${#voices[@]} ))]}
    next; n=$(( MIN_DIGITS + R % (MAX_DIGITS - MIN_DIGITS + 1) ))
    text=""
    for (( d = 0; d < n; d++ )); do next; text+="${text:+ }${WORDS[$(( R % 10 ))]}"; done
    next; speed=$(( 140 + R % 71 )); next; pitch=$(( 30 + R % 46 ))
    name=$(printf '%04d.wav' "$i")
    espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$tmp/raw.wav" "$text"
    # Trim leading/trailing silence, resample, normalise the peak to -3 dBFS.
    sox -R -D "$tmp/raw.wav" -b 16 -c 1 -e signed-integer "$split/$name" \
      silence 1 0.02 0.1% reverse silence 1 0.02 0.1% reverse vol 0.5 rate -h "$RATE" gain -n -3
    printf '%s\t%s\n' "$name" "$text" >> "$split/transcripts.tsv"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$split" "$split/$name" "$text" "$voice" "$speed" "$pitch" >> clips.tsv
  done
done

check
