#!/usr/bin/env bash
# Cross-condition identification on the procedural data with pose-estimator noise
# (docs/identity.md, "Measured"). Not a test: trains real-size models (tens of minutes on 2 cores).
#
#   bench/identity.sh [OUT_DIR] [NOISE_M] [TRAIN_IDENTITIES] [EPOCHS] [AUGMENT_NOISE_M] [SEED]
#
# Training and test walkers come from different seeds, so no test identity is seen in training;
# every model is evaluated on two test sets of other walkers (seeds 12 and 13).
# One training thread: the documented numbers were measured so (more threads give a different run).
set -euo pipefail
OUT=${1:-runs/identity}
NOISE=${2:-0.02}
IDS=${3:-128}
EPOCHS=${4:-16}
AUGMENT=${5:-0}
SEED=${6:-1}
G=${GAITFORGE:-"node dist/cli/main.js"}
mkdir -p "$OUT"
$G synth-dataset --identities "$IDS" --per-emotion 2 --estimator-noise "$NOISE" --seed 31 --out "$OUT/train.parquet" --quiet > /dev/null
$G synth-dataset --identities 24 --per-emotion 4 --estimator-noise "$NOISE" --seed 12 --out "$OUT/test.parquet" --quiet > /dev/null
$G synth-dataset --identities 24 --per-emotion 4 --estimator-noise "$NOISE" --seed 13 --out "$OUT/test13.parquet" --quiet > /dev/null
$G train-identity --model gaittake --train "$OUT/train.parquet" --out "$OUT/gaittake" --epochs "$EPOCHS" --channels 32,64 --val-fraction 0.15 --augment-noise "$AUGMENT" --seed "$SEED" --threads 1
$G train-identity --model at-gcn --train "$OUT/train.parquet" --out "$OUT/at-gcn" --epochs 10 --seed 1 --threads 1
for m in gaittake at-gcn; do
  for t in test test13; do
    $G evaluate-identity --model "$OUT/$m" --data "$OUT/$t.parquet" --json > "$OUT/$m-eval-$t.json"
    $G evaluate-identity --model "$OUT/$m" --data "$OUT/$t.parquet"
  done
done
