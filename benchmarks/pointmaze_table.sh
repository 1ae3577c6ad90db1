#!/usr/bin/env bash
# PointMaze U-Maze / Medium / Large: collect (D4RL recipe), train each prior until a wall-clock deadline,
# then evaluate planners over 50 episodes (50 environments side by side) and print success and score.
#
#   DEV=cuda MAZES="umaze medium large" DEADLINE=440 bash benchmarks/pointmaze_table.sh
#
# Variables: MAZES, STEPS_umaze/medium/large (collection steps), REF (reference episodes), DEADLINE (seconds
# after start when training stops; the newest checkpoint is evaluated), DEV (cuda|cpu), EPS (episodes),
# R (work folder). Figures in the README: benchmarks/results/pointmaze_table_h100.json.
set -u
start=$(date +%s)
MAZES=${MAZES:-"umaze medium large"}; REF=${REF:-30}; DEADLINE=${DEADLINE:-440}; DEV=${DEV:-cuda}; EPS=${EPS:-50}
R=${R:-runs/pointmaze-table}; mkdir -p "$R"
declare -A STEPS=([umaze]=${STEPS_umaze:-400000} [medium]=${STEPS_medium:-500000} [large]=${STEPS_large:-500000})
log() { echo "[$(( $(date +%s) - start ))s] $*"; }
train() {
  diffplan collect "pointmaze-$1-dense" --steps "${STEPS[$1]}" --eval-episodes "$REF" > "$R/collect_$1.log" 2>&1
  left=$(( DEADLINE - ($(date +%s) - start) )); [ $left -gt 30 ] || left=30
  timeout $left diffplan train-prior "prior-pointmaze-$1" data.device="$DEV" trainer.steps=100000 \
    trainer.batch_size=256 trainer.learning_rate=0.0005 trainer.warmup_steps=200 trainer.ema_every=1 \
    trainer.ema_start=500 trainer.checkpoint_every=250 trainer.log_every=100 "inverse_dynamics.hidden_dims=[256,256]" \
    --run-dir "$R/$1" > "$R/train_$1.log" 2>&1
  log "trained $1: $(tail -1 "$R/$1/metrics.jsonl")"
}
for m in $MAZES; do train "$m" & done; wait
PD="planner.kp=2.0 planner.kd=1.0 planner.posterior.scheduler=ddim planner.posterior.num_steps=16"
GUIDED="planner.reward=goal_distance planner.posterior.method=guided planner.posterior.through_denoiser=true
        planner.posterior.guidance_scale=3.0 planner.posterior.particles=8 planner.posterior.select=best"
evaluate() {  # maze variant overrides...
  m=$1; v=$2; shift 2
  # shellcheck disable=SC2086
  diffplan evaluate "$R/$m" episodes="$EPS" num_envs="$EPS" device="$DEV" output_dir="$R/eval_${m}_$v" $PD "$@" \
    > "$R/eval_${m}_$v.log" 2>&1
  log "$m $v: $(grep -oE '"(success_rate|normalized_score_mean)": [0-9.-]+' "$R/eval_${m}_$v/metrics.json" | tr '\n' ' ')"
}
declare -A HORIZON=([umaze]=128 [medium]=256 [large]=384)
arrival_steps() {  # goal rows at 1/4, 2/4, 3/4 and all of the horizon, two plans each
  h=${HORIZON[$1]}; echo "[$((h/4-1)),$((h/4-1)),$((h/2-1)),$((h/2-1)),$((3*h/4-1)),$((3*h/4-1)),$((h-1)),$((h-1))]"
}
for m in $MAZES; do
  evaluate "$m" inpaint &
  evaluate "$m" inpaint_arrival "planner.arrival_steps=$(arrival_steps "$m")" &
  # shellcheck disable=SC2086
  evaluate "$m" guided $GUIDED &
  # shellcheck disable=SC2086
  evaluate "$m" guided_replan50 $GUIDED planner.replan_every=50 planner.warm_start=true &
done
wait
