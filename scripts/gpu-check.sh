#!/usr/bin/env bash
# The CUDA backend's whole check on an NVIDIA machine that has no Java or Maven (the lent GPU
# machine), in two halves:
#   scripts/gpu-check.sh kit    here: build, then pack gpu-kit/kit.tar.xz (a jlink runtime, the
#                               jars, the CUDA test classes and a JUnit console launcher)
#   scripts/gpu-check.sh run [OUTDIR]
#                               there: unpack the kit and run, one step after another with time
#                               limits: every CUDA test against the CPU reference (on the default
#                               kernels), bench-gpu (GEMM and attention at DiT shapes, each kernel),
#                               then the baseline: every speed switch off ($PLAIN: mma.sync GEMM and
#                               attention, the implicit convolution, float32 operands, one stream),
#                               which is what the other runs are compared with: verify --device cuda
#                               on tests/golden, bench-dit on a full-size random DiT, bench-vae,
#                               bench-pipeline (the whole streaming path at 512x512); then each
#                               switch alone on top of the baseline, with the checks that show it
#                               changes nothing but rounding: bf16 operands (LIVETALK_CUDA_FUSE=1:
#                               the same bits), the decoder on a stream of its own
#                               (LIVETALK_CUDA_STREAMS=2), the wgmma GEMM (LIVETALK_CUDA_GEMM=wgmma),
#                               the wgmma flash attention (LIVETALK_CUDA_ATTN=wgmma), the fast
#                               convolution (LIVETALK_CUDA_CONV=fast, and =wgmma), each with its
#                               tests in a JVM of its own; last, the defaults (every switch at the
#                               device's fastest, docs/cuda-performance.md#defaults): verify,
#                               bench-dit against the baseline's output, bench-vae, bench-pipeline,
#                               bench-live (a live session as serve runs it); then the VAE's copies
#                               fused into its convolutions' (LIVETALK_CUDA_VAE_FUSE=1, not yet
#                               validated) on top of the defaults: its tests in a JVM of its own,
#                               the VAE checks (the same lines as the defaults'), bench-vae beside
#                               the defaults'; then the TMA GEMM and the TMA flash attention (the
#                               defaults on compute capability 9.0 since runs 8 and 9) alone on the
#                               baseline: their tests in JVMs of their own, the DiT checks,
#                               bench-dit; then, on the defaults (each validated in runs 10-11): the DiT's q/k
#                               norm fused with RoPE (LIVETALK_CUDA_NORM_ROPE=1), its layer norm
#                               fused with its modulation (LIVETALK_CUDA_NORM_MOD=1), its residual
#                               adds in the products' epilogue (LIVETALK_CUDA_RESIDUAL=1), the GEMM's
#                               persistent and ping-pong kernels (LIVETALK_CUDA_GEMM_PERSISTENT=1,
#                               =pingpong) and the split-key
#                               flash attention (LIVETALK_CUDA_ATTN_SPLIT=auto).
#                               A summary on stdout, OUTDIR/gpu-check.json and every log packed
#                               in OUTDIR/logs.tar.gz (the device returns only a few files)
#   run OUTDIR --only STEP,STEP [--logs DIR]
#                               those steps only (plus the DiT, the plain DiT output and the plain
#                               verify when they need them and this machine lacks them); --logs: an
#                               earlier call's OUTDIR (its logs, or its logs.tar.gz), which the
#                               comparisons read
# A run stops starting steps near its budget (GPU_CHECK_BUDGET, default 560 s, under the device's
# 600 s per call), prints the summary and names the deferred steps for a second call.
# On a machine without a GPU, `run` goes as far as it can and each step reports why it stopped.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KIT="$ROOT/gpu-kit"
JUNIT=org.junit.platform:junit-platform-console-standalone:1.14.4
# The baseline: every speed switch off (docs/cuda-performance.md#defaults). The steps that test one
# switch put it after these (env takes the last of two assignments).
PLAIN=(env LIVETALK_CUDA_GEMM=mma_sync LIVETALK_CUDA_ATTN=mma_sync LIVETALK_CUDA_CONV=implicit LIVETALK_CUDA_FUSE=0 LIVETALK_CUDA_STREAMS=1
       LIVETALK_CUDA_VAE_FUSE=0 LIVETALK_CUDA_GEMM_PERSISTENT=0 LIVETALK_CUDA_ATTN_SPLIT=off LIVETALK_CUDA_NORM_ROPE=0 LIVETALK_CUDA_NORM_MOD=0)

kit() {
  set -e
  . "$ROOT/scripts/find-jdk.sh"
  local jdk; jdk="$(find_jdk)" || { echo "gpu-check: no JDK 25 found" >&2; exit 2; }
  # resources a build no longer has stay in target/classes until a clean (the PTX was text before it
  # was gzipped: 18 MB the kit would carry for nothing); the kernels' resources are copied afresh
  rm -rf "$ROOT/kernels/target/classes/livetalk/kernels/cuda"
  (cd "$ROOT" && ./build -q -o install -DskipTests && ./build -q -o test-compile -pl kernels)
  rm -rf "$KIT" && mkdir -p "$KIT/stage/lib" "$KIT/stage/test"
  JAVA_HOME="$jdk" mvn -q -B -o dependency:copy -Dartifact=$JUNIT -DoutputDirectory="$KIT/stage" 2>/dev/null \
    || JAVA_HOME="$jdk" mvn -q -B dependency:copy -Dartifact=$JUNIT -DoutputDirectory="$KIT/stage"
  "$jdk/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,java.desktop,java.xml,jdk.zipfs,jdk.incubator.vector \
    --strip-debug --no-header-files --no-man-pages --output "$KIT/stage/jre" 2>&1 | grep -v 'incubator modules' || true
  # the JDK's native libraries carry symbol tables the kit never needs (about 1 MB of the kit, mostly libjvm.so's)
  if command -v strip >/dev/null; then find "$KIT/stage/jre" -name '*.so' -exec strip --strip-unneeded {} +; fi
  cp "$ROOT/cli/target/livetalk-cli.jar" "$ROOT"/cli/target/lib/*.jar "$KIT/stage/lib/"
  # The kit runs verify, the benchmarks and the kernel tests, never serve or an mp4 encode: leave out
  # the web server's and the video encoder's libraries (7 MB), since the device takes 64 MiB in
  # all, the working tree included (picocli's scan of the commands does not load them).
  (cd "$KIT/stage/lib" && rm -f javalin-*.jar jetty-*.jar kotlin-stdlib-*.jar jakarta.*.jar asm-*.jar annotations-*.jar jcodec-*.jar)
  cp "$ROOT/cli/target/jvm.flags" "$KIT/stage/"
  cp -r "$ROOT/kernels/target/test-classes" "$KIT/stage/test/kernels"
  cp "$ROOT"/tensor/target/livetalk-tensor-*-tests.jar "$KIT/stage/test/"
  tar -C "$KIT/stage" -cf - . | xz -T0 -6 > "$KIT/kit.tar.xz"
  rm -rf "$KIT/stage"
  echo "gpu-check: $(du -h "$KIT/kit.tar.xz" | cut -f1) kit in $KIT/kit.tar.xz (carry gpu-kit, then: scripts/gpu-check.sh run \$OUT)"
}

# step NAME SECONDS CMD...: runs with a time limit, logs to $OUTDIR/NAME.log, records the status.
# A step not named by --only is left out (unless a named step needs what it makes: selected); one
# that would start too close to the run's budget ($GPU_CHECK_BUDGET seconds, default 560, under the
# device's 600 s per call) is deferred, and its limit is cut to what is left of the budget, so that
# the summary always comes back; the summary lists the deferred steps for a second call with --only.
step() {
  local name="$1" secs="$2"; shift 2
  selected "$name" || return 0
  local left=$((BUDGET - SECONDS))
  if [ "$left" -lt 25 ]; then
    STEPS+=("$name deferred 0")
    echo "== $name: deferred (${left}s of the ${BUDGET}s budget left)"
    return 0
  fi
  [ "$secs" -gt "$left" ] && secs=$left
  echo "== $name (limit ${secs}s)"
  local t0=$SECONDS
  timeout "$secs" "$@" > >(tee "${LOGDIR:-$OUTDIR}/$name.log") 2>&1
  local rc=$?
  STEPS+=("$name $rc $((SECONDS - t0))")
  echo "== $name: exit $rc after $((SECONDS - t0)) s"
}

# last_failed: the step just recorded ran and exited non-zero (not deferred, not left out)
last_failed() {
  [ ${#STEPS[@]} -gt 0 ] || return 1
  local rc; rc="$(echo "${STEPS[-1]}" | cut -d' ' -f2)"
  [[ "$rc" =~ ^[0-9]+$ ]] && [ "$rc" != 0 ]
}

# selected NAME: whether this run runs step NAME. Without --only, every step. With it, the named
# steps, plus what they need that this machine lacks: the random DiT (make-dit), the plain DiT
# output the wgmma and flash runs compare with (bench-dit), the plain verify log the switches run on
# every-switch-off compare with (verify: verify-fused, -streams, -conv, -conv-wgmma; or pass an
# earlier run's logs with --logs), and the defaults' verify,
# bench-dit and bench-vae that the switches run on the defaults compare with (verify-default,
# bench-dit-default, bench-vae-default).
selected() {
  [ -z "$ONLY" ] && return 0
  case ",$ONLY," in *",$1,"*) return 0 ;; esac
  case "$1" in
    make-dit) [ ! -f /tmp/livetalk-dit/model.safetensors ] && [[ ",$ONLY," == *",bench-"* ]] ;;
    bench-dit) [ ! -f /tmp/livetalk-dit/out-mma-sync.f32 ] && [[ ",$ONLY," =~ ,bench-dit-(wgmma|flash|default|tma|flash-tma|split|norm-rope|norm-mod|residual|fusions|tma-waves|persistent|persistent-waves|pingpong|flash-pp|split-pp|flash-fastexp), ]] ;;
    verify) [ ! -f "$OUTDIR/verify.log" ] && [[ ",$ONLY," =~ ,verify-(fused|streams|conv|conv-wgmma), ]] ;;
    verify-default) [ ! -f "$OUTDIR/verify-default.log" ] && [[ ",$ONLY," =~ ,verify-(vae-fuse|norm-rope|norm-mod|residual|dit-fusions|conv-tma), ]] ;;
    bench-dit-default) [ ! -f "$OUTDIR/bench-dit-default.log" ] && [[ ",$ONLY," =~ ,bench-dit-(norm-rope|norm-mod|residual|fusions|tma-waves|persistent|persistent-waves|pingpong|flash-pp|split|split-pp|flash-fastexp), ]] ;;
    bench-vae-default) [ ! -f "$OUTDIR/bench-vae-default.log" ] && [[ ",$ONLY," =~ ,bench-vae-(fuse|conv-tma|conv-tma-persistent|conv-tma-pingpong), ]] ;;
    *) return 1 ;;
  esac
}


# bf16 operands written by their producers, and bf16 text K/V and decoder history
# (LIVETALK_CUDA_FUSE=1, docs/cuda-performance.md) must change no result: the DiT and VAE checks'
# lines and bench-dit's output checksum against the plain runs.
fused_summary() {
  local re='^(OK|FAIL|SKIPPED) +(dit_forward|causal_rollout|vae_decode)' a b
  a="$(grep -hE "$re" "$OUTDIR/verify.log" 2>/dev/null)"; b="$(grep -hE "$re" "$OUTDIR/verify-fused.log" 2>/dev/null)"
  if [ -z "$b" ]; then echo "fused verify: no DiT/VAE lines (see $OUTDIR/verify-fused.log)"
  elif [ "$a" = "$b" ]; then echo "fused verify: $(echo "$b" | wc -l) DiT/VAE lines the same as without; $(grep -h verdict "$OUTDIR/verify-fused.log")"
  else diff <(echo "$a") <(echo "$b") > "$OUTDIR/verify-fused.diff"; echo "fused verify: DIFFERS from the plain run ($OUTDIR/verify-fused.diff)"; fi
  a="$(grep -h checksum "$OUTDIR/bench-dit.log" 2>/dev/null)"; b="$(grep -h checksum "$OUTDIR/bench-dit-fused.log" 2>/dev/null)"
  if [ -z "$b" ]; then echo "fused bench-dit: no checksum (see $OUTDIR/bench-dit-fused.log)"
  elif [ "$a" = "$b" ]; then echo "fused bench-dit: $b, the same bits"; else echo "fused bench-dit: $b, plain $a: DIFFERENT"; fi
  grep -hE "^forward" "$OUTDIR/bench-dit-fused.log" 2>/dev/null | tail -1 | sed 's/^/fused /'
  for f in bench-dit bench-dit-fused; do grep -hE "^(f32_to_bf16_rows|all kernels)" "$OUTDIR/$f.log" 2>/dev/null | sed "s/^/$f profile: /"; done
}

# The wgmma flash attention (docs/cuda-performance.md) changes results only by float rounding: its
# tests, bench-gpu's check lines, the DiT checks' verdict and largest rel_l2 beside the plain run's
# (the tiny golden DiT has 32-wide heads, which never take the flash kernels: those lines must be
# the plain run's), and of the full-size bench-dit: the output against the mma.sync run's, the
# forward time and the attention kernel's profile line of both runs.
flash_summary() {
  grep -hE "tests (successful|failed|aborted)|wgmma flash attention not available" "$OUTDIR/tests-flash.log" 2>/dev/null | sort -u
  grep -hE "^attention .*wgmma|^check flash|^attention on wgmma" "$OUTDIR/bench-gpu.log" 2>/dev/null
  grep -h "^model" "$OUTDIR/bench-dit-flash.log" 2>/dev/null
  grep -h "^forward" "$OUTDIR/bench-dit-flash.log" 2>/dev/null | tail -1 | sed 's/^/flash /'
  grep -h "^output vs" "$OUTDIR/bench-dit-flash.log" 2>/dev/null | sed 's/^/flash bench-dit /'
  for f in bench-dit bench-dit-flash; do grep -hE "^(flash_attn_d128|all kernels)" "$OUTDIR/$f.log" 2>/dev/null | sed "s/^/$f profile: /"; done
}

# conv_verify NAME: the VAE decode lines of OUTDIR/NAME.log against the plain verify's, in one line
conv_verify() {
  local re='^(OK|FAIL|SKIPPED) +vae_decode/' a b
  a="$(grep -hE "$re" "$OUTDIR/verify.log" 2>/dev/null)"; b="$(grep -hE "$re" "$OUTDIR/$1.log" 2>/dev/null)"
  if [ -z "$b" ]; then echo "$1: no VAE decode lines (see $OUTDIR/$1.log)"
  elif [ "$a" = "$b" ]; then echo "$1: $(echo "$b" | wc -l) VAE decode lines the same as the implicit path's; $(grep -h verdict "$OUTDIR/$1.log")"
  else
    diff <(echo "$a") <(echo "$b") > "$OUTDIR/$1.diff"
    if awk 'function num(line, key,   m) { return match(line, key "=[^ ]+") ? substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1) + 0 : -1 }
            function close10(x, y) { return x == y || (x > 0 && y > 0 && (x > y ? x / y : y / x) <= 1.1) }
            NR == FNR { plain[FNR] = $0; n = FNR; next }
            { split(plain[FNR], p, " +"); split($0, q, " +")
              if (p[1] != q[1] || p[2] != q[2] || !close10(num(plain[FNR], "max_abs"), num($0, "max_abs")) \
                  || !close10(num(plain[FNR], "rel_l2"), num($0, "rel_l2"))) bad++; m = FNR }
            END { exit (bad > 0 || m != n) }' <(echo "$a") <(echo "$b"); then
      echo "$1: $(echo "$b" | wc -l) VAE decode lines with the plain run's statuses, errors within 10 % (summation order; $OUTDIR/$1.diff); $(grep -h verdict "$OUTDIR/$1.log")"
    else
      echo "$1: DIFFERS from the implicit path ($OUTDIR/$1.diff)"
    fi
  fi
}

# The fast convolution (LIVETALK_CUDA_CONV=fast, and =wgmma; docs/cuda-performance.md) forms the
# same bf16 products as the implicit path and sums them in float32 in another order (tap-major
# instead of channel-major), so its VAE decode lines must be the plain verify's up to rounding:
# every line the same status and tensor, and max_abs and rel_l2 within 10 % of the plain run's
# (the printed errors are dominated by bf16 rounding, ~1e-3, which a reordered float32 sum moves
# by ~1e-6 of itself; a wrong kernel moves them by orders of magnitude). Then the bench-vae runs
# and their profiles.
conv_summary() {
  echo "-- fast convolution (LIVETALK_CUDA_CONV=fast)"
  grep -hE "tests (successful|failed|aborted)|fast convolution .* not available" "$OUTDIR/tests-conv.log" 2>/dev/null | sort -u
  conv_verify verify-conv
  grep -h "^VAE:" "$OUTDIR/bench-vae-conv.log" 2>/dev/null | sed 's/^/conv /'
  echo "-- its wgmma variant (LIVETALK_CUDA_CONV=wgmma)"
  grep -hE "tests (successful|failed|aborted)|fast convolution .* not available" "$OUTDIR/tests-conv-wgmma.log" 2>/dev/null | sort -u
  conv_verify verify-conv-wgmma
  echo "-- its TMA variant (LIVETALK_CUDA_CONV=tma; written without a GPU: the wgmma variant's bits expected)"
  grep -hE "tests (successful|failed|aborted)|TMA convolution is not available|fast convolution .* not available" "$OUTDIR/tests-conv-tma.log" 2>/dev/null | sort -u
  same_as_default verify-conv-tma '^(OK|FAIL|SKIPPED) +vae_decode/' 'VAE decode'
  echo "-- its TMA variant's persistent kernels (LIVETALK_CUDA_CONV=tma_persistent; written without a GPU: the wgmma variant's bits expected)"
  grep -hE "tests (successful|failed|aborted)|TMA convolution is not available|fast convolution .* not available" "$OUTDIR/tests-conv-tma-persistent.log" 2>/dev/null | sort -u
  echo "-- its TMA variant's ping-pong kernels (LIVETALK_CUDA_CONV=tma_pingpong; written without a GPU: the wgmma variant's bits expected)"
  grep -hE "tests (successful|failed|aborted)|TMA convolution is not available|fast convolution .* not available" "$OUTDIR/tests-conv-tma-pingpong.log" 2>/dev/null | sort -u
  for f in bench-vae bench-vae-conv bench-vae-conv-wgmma bench-vae-default bench-vae-conv-tma bench-vae-conv-tma-persistent bench-vae-conv-tma-pingpong; do grep -h "^latent frame [1-9]" "$OUTDIR/$f.log" 2>/dev/null | tail -1 | sed "s/^/$f: /"; done
  for f in bench-vae bench-vae-conv bench-vae-conv-wgmma bench-vae-conv-tma bench-vae-conv-tma-persistent bench-vae-conv-tma-pingpong; do grep -hE "^(conv_|pad_frames|all kernels)" "$OUTDIR/$f.log" 2>/dev/null | sed "s/^/$f profile: /"; done
}

# gemm_schedule_summary SCHEDULE VALUE STEP...: the TMA GEMM's SCHEDULE kernels (LIVETALK_CUDA_GEMM_PERSISTENT=VALUE
# on the defaults): their tests' verdict (tests-tma-SCHEDULE), bench-gpu's rows and checks, and per bench-dit STEP the
# checksum against bench-dit-default's and the forward's times and GEMM profile lines.
gemm_schedule_summary() {
  local schedule="$1" value="$2"; shift 2
  echo "-- the TMA GEMM's $schedule kernels (LIVETALK_CUDA_GEMM_PERSISTENT=$value, on the defaults)"
  grep -hE "tests (successful|failed|aborted)" "$OUTDIR/tests-tma-$schedule.log" 2>/dev/null | sort -u || true
  grep -hE "^(linear .*$schedule|check .*$schedule)" "$OUTDIR/bench-gpu.log" 2>/dev/null || true
  local step
  for step in "$@"; do
    same_checksum "$step"
    grep -hE "^(forward|gemm_bf16_tn_tma|all kernels)" "$OUTDIR/$step.log" 2>/dev/null | tail -6 || true
  done
}

# The decoder on its own stream (LIVETALK_CUDA_STREAMS=2): its tests, the rollout/VAE check lines
# against the plain verify's (the same kernels on the same data: the same numbers), the pipeline.
streams_summary() {
  echo "-- decoder on its own stream (LIVETALK_CUDA_STREAMS=2)"
  grep -hE "tests (successful|failed|aborted)" "$OUTDIR/tests-streams.log" 2>/dev/null | sort -u || true
  local re='^(OK|FAIL|SKIPPED) +(causal_rollout|vae_decode)/' a b
  a="$(grep -hE "$re" "$OUTDIR/verify.log" 2>/dev/null)"; b="$(grep -hE "$re" "$OUTDIR/verify-streams.log" 2>/dev/null)"
  if [ -z "$b" ]; then echo "streams verify: no rollout/VAE lines (see $OUTDIR/verify-streams.log)"
  elif [ "$a" = "$b" ]; then echo "streams verify: $(echo "$b" | wc -l) rollout/VAE lines the same as with one stream; $(grep -h verdict "$OUTDIR/verify-streams.log")"
  else diff <(echo "$a") <(echo "$b") > "$OUTDIR/verify-streams.diff"; echo "streams verify: DIFFERS from one stream ($OUTDIR/verify-streams.diff)"; fi
  grep -hE "first frame|GPU memory held by" "$OUTDIR/bench-pipeline-streams.log" 2>/dev/null | sed 's/^/streams /' || true
}

# same_as_default STEP REGEX WHAT: STEP's verify lines matching REGEX against verify-default's, in one line.
same_as_default() {
  local step="$1" re="$2" what="$3" a b
  a="$(grep -hE "$re" "$OUTDIR/verify-default.log" 2>/dev/null)"; b="$(grep -hE "$re" "$OUTDIR/$step.log" 2>/dev/null)"
  if [ -z "$b" ]; then echo "$step: no $what lines (see $OUTDIR/$step.log)"
  elif [ -z "$a" ]; then echo "$step: $(echo "$b" | wc -l) $what lines, no verify-default log to compare them with"
  elif [ "$a" = "$b" ]; then echo "$step: $(echo "$b" | wc -l) $what lines the same as verify-default's; $(grep -h verdict "$OUTDIR/$step.log")"
  else diff <(echo "$a") <(echo "$b") > "$OUTDIR/$step.diff"; echo "$step: DIFFERS from verify-default ($OUTDIR/$step.diff)"; fi
}

# same_checksum STEP: STEP's bench-dit output checksum against bench-dit-default's, in one line.
same_checksum() {
  local step="$1" a b
  a="$(grep -h checksum "$OUTDIR/bench-dit-default.log" 2>/dev/null)"; b="$(grep -h checksum "$OUTDIR/$step.log" 2>/dev/null)"
  if [ -z "$b" ]; then echo "$step: no checksum (see $OUTDIR/$step.log)"
  elif [ "$a" = "$b" ]; then echo "$step: $b, the same bits as bench-dit-default"; else echo "$step: $b, default ${a:-none}: DIFFERENT"; fi
}

# The VAE's copies fused into its convolutions' (LIVETALK_CUDA_VAE_FUSE=1 on top of the defaults,
# docs/cuda-performance.md#the-vae-norm-fused-into-the-convolutions-copy-validated-in-run-10-the-default)
# must change no bit: its tests (the fused ops against the unfused ones, bit for bit), the VAE
# encode and decode lines identical to verify-default's; then bench-vae's figures and the profile
# lines of the kernels it replaces and adds, beside bench-vae-default's.
vae_fuse_summary() {
  echo "-- the VAE's fused copies (LIVETALK_CUDA_VAE_FUSE=1, on the defaults)"
  grep -hE "tests (successful|failed|aborted)|no channels-last convolution" "$OUTDIR/tests-vae-fuse.log" 2>/dev/null | sort -u
  same_as_default verify-vae-fuse '^(OK|FAIL|SKIPPED) +vae_(encode|decode)/' VAE
  for f in bench-vae-default bench-vae-fuse; do
    { grep -h "^VAE:" "$OUTDIR/$f.log"; grep -h "^latent frame [1-9]" "$OUTDIR/$f.log" | tail -1; } 2>/dev/null | sed "s/^/$f: /"
  done
  # the residual adds: add's 33 launches per latent frame in bench-vae-default, the GEMMs' _resid twins in their place with the switch
  for f in bench-vae-default bench-vae-fuse; do
    grep -hE "^(rms_norm_channels|rms_scale_channels|conv_pad_cl|upsample_nearest2x|f32_to_bf16_rows|add|conv_cl_|all kernels)" "$OUTDIR/$f.log" 2>/dev/null \
      | sed "s/^/$f profile: /"
  done
}

# The DiT's q and k normed, rotated and rounded in one pass, written straight into bf16 (LIVETALK_CUDA_NORM_ROPE=1,
# the default since run 11) must change no bit: its tests, the DiT checks' lines against verify-default's,
# and bench-dit's output checksum against bench-dit-default's.
norm_rope_summary() {
  echo "-- the DiT's q/k norm fused with RoPE (LIVETALK_CUDA_NORM_ROPE=1, on the defaults)"
  grep -hE "tests (successful|failed|aborted)" "$OUTDIR/tests-norm-rope.log" 2>/dev/null | sort -u
  same_as_default verify-norm-rope '^(OK|FAIL|SKIPPED) +(dit_forward|causal_rollout)/' DiT
  same_checksum bench-dit-norm-rope
  grep -h "^forward" "$OUTDIR/bench-dit-norm-rope.log" 2>/dev/null | tail -2
  grep -hE "^(rms_norm|rope|f32_to_bf16_rows|all kernels)" "$OUTDIR/bench-dit-norm-rope.log" 2>/dev/null | sed 's/^/norm-rope profile: /'
}

# A DiT switch whose tests run in the tests step must change no bit: its test
# class not among that step's failures (it lists failures only), the DiT checks' lines against
# verify-default's, and bench-dit's output checksum against bench-dit-default's; then its forwards
# and the profile lines of the kernels it replaces and adds.
# dit_switch_summary NAME TITLE TESTCLASS PROFILE_RE
dit_switch_summary() {
  local name="$1" title="$2" test="$3" profile="$4"
  echo "-- $title"
  if grep -qE "$test" "$OUTDIR/tests.log" 2>/dev/null; then echo "tests: $test FAILED (see $OUTDIR/tests.log)"
  elif [ -f "$OUTDIR/tests.log" ]; then echo "tests: $test not among the failures"; fi
  same_as_default "verify-$name" '^(OK|FAIL|SKIPPED) +(dit_forward|causal_rollout)/' DiT
  local bench="bench-dit-${name#dit-}"   # dit-fusions: bench-dit-fusions
  same_checksum "$bench"
  grep -h "^forward" "$OUTDIR/$bench.log" 2>/dev/null | tail -2
  grep -hE "^($profile|all kernels)" "$OUTDIR/$bench.log" 2>/dev/null | sed "s/^/$name profile: /"
}

run() {
  OUTDIR="$ROOT/target/gpu-check"; ONLY=""; BUDGET="${GPU_CHECK_BUDGET:-560}"
  local logs=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --only) ONLY="$2"; shift 2 ;;
      --logs) logs="$2"; shift 2 ;;
      -*) echo "gpu-check: unknown option $1 (run [OUTDIR] [--only STEP,STEP...] [--logs DIR])" >&2; exit 2 ;;
      *) OUTDIR="$1"; shift ;;
    esac
  done
  mkdir -p "$OUTDIR"
  # an earlier call's logs (its OUTDIR, fetched back): what this call's comparisons read as the plain runs
  if [ -n "$logs" ]; then
    [ -f "$logs/logs.tar.gz" ] && tar -C "$OUTDIR" --skip-old-files -xzf "$logs/logs.tar.gz"
    cp -n "$logs"/*.log "$OUTDIR"/ 2>/dev/null || true
  fi
  local dir=/tmp/livetalk-gpu-kit
  rm -rf "$dir" && mkdir -p "$dir" && xz -dc "$KIT/kit.tar.xz" | tar -C "$dir" -xf -
  local java="$dir/jre/bin/java"
  read -r -a FLAGS < "$dir/jvm.flags"
  local cp="$dir/lib/*"
  local lt="$dir/lt"   # a file, not a function, so that `timeout` can run it
  printf '#!/usr/bin/env bash\nexec "%s" %s -cp "%s" livetalk.cli.Main "$@"\n' "$java" "${FLAGS[*]}" "$cp" > "$lt"
  chmod +x "$lt"
  STEPS=()
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  local tcp; tcp="$dir/test/kernels:$(ls "$dir"/test/*.jar "$dir"/lib/*.jar | tr '\n' ':')"
  local junit="$dir/junit"   # the JUnit console on the CUDA test classes; a file, as lt, for timeout and compute-sanitizer
  printf '#!/usr/bin/env bash\nexec "%s" %s -jar %s execute -cp "%s" --details-theme=ascii --disable-banner --disable-ansi-colors "$@"\n' \
    "$java" "${FLAGS[*]}" "$(ls "$dir"/junit-platform-console-standalone-*.jar)" "$tcp" > "$junit"
  chmod +x "$junit"
  # the wgmma, streams, fast-conv, split-attention, VAE fuse, persistent GEMM and both ping-pongs' tests run in JVMs of
  # their own (steps tests-wgmma, tests-flash, tests-streams, tests-conv, tests-conv-wgmma, tests-conv-tma, tests-conv-tma-persistent, tests-conv-tma-pingpong,
  # tests-flash-split, tests-vae-fuse, tests-tma-persistent, tests-tma-pingpong, tests-flash-pp below): a fault there
  # poisons the CUDA context, and a turn that never passes hangs, which would cost this step its limit and every other
  # test's result
  local isolated='.*(CudaWgmmaTest|CudaTmaGemmTest|CudaTmaPersistentTest|CudaTmaPingPongTest|CudaFlashWgmmaTest|CudaFlashTmaTest|CudaFlashSplitTest|CudaFlashPingPongTest|CudaFlashSplitPingPongTest|CudaFlashFastExpTest|CudaFlashSplitFastExpTest|CudaNormRopeTest|CudaStreamsTest|CudaConvFastTest|CudaConvWgmmaTest|CudaConvTmaTest|CudaConvTmaPersistentTest|CudaConvTmaPingPongTest|CudaVaeFuseTest)'
  step tests 120 "$junit" --select-package livetalk.kernels.cuda --exclude-classname "$isolated" --details=summary
  if last_failed && command -v compute-sanitizer >/dev/null; then
    # a failing test run: find the first bad memory access, kernel by kernel
    step sanitizer 120 env CUDA_LAUNCH_BLOCKING=1 compute-sanitizer --tool memcheck --print-limit 3 "$junit" --select-package livetalk.kernels.cuda --exclude-classname "$isolated" --details=summary
  fi
  step bench-gpu 60 "$lt" bench-gpu --repeat 20
  step verify 240 "${PLAIN[@]}" "$lt" verify --device cuda --golden "$ROOT/tests/golden"
  LOGDIR=/tmp step make-dit 60 "$lt" make-random-dit --dtype bf16 --out /tmp/livetalk-dit
  step bench-dit 75 "${PLAIN[@]}" "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors --runs 5 --profile \
      --save-output /tmp/livetalk-dit/out-mma-sync.f32
  step verify-fused 120 "${PLAIN[@]}" LIVETALK_CUDA_FUSE=1 "$lt" verify --device cuda --golden "$ROOT/tests/golden" \
      --only dit_forward,causal_rollout,causal_rollout_small_window,causal_rollout_bf16steps,vae_decode
  step bench-dit-fused 75 "${PLAIN[@]}" LIVETALK_CUDA_FUSE=1 "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors --runs 5 --profile
  step bench-vae 60 "${PLAIN[@]}" "$lt" bench-vae --device cuda --frames 2 --profile
  step bench-pipeline 120 "${PLAIN[@]}" "$lt" bench-pipeline --device cuda --dit /tmp/livetalk-dit/model.safetensors --blocks 10
  # The decoder on a stream of its own (LIVETALK_CUDA_STREAMS=2, on by default, alone on the baseline here; docs/cuda-performance.md#streams):
  # its tests (two streams against one, handover, weights, frees), the checks that run the streaming
  # pipeline and the VAE (their lines must be those of the plain verify), and the pipeline's speed.
  step tests-streams 90 "$junit" --select-class livetalk.kernels.cuda.CudaStreamsTest --details=tree
  step verify-streams 90 "${PLAIN[@]}" LIVETALK_CUDA_STREAMS=2 "$lt" verify --device cuda --golden "$ROOT/tests/golden" \
      --only causal_rollout,vae_decode
  step bench-pipeline-streams 90 "${PLAIN[@]}" LIVETALK_CUDA_STREAMS=2 "$lt" bench-pipeline --device cuda \
      --dit /tmp/livetalk-dit/model.safetensors --blocks 6
  # The wgmma GEMM (gemm_sm90.cu), last: its tests (CPU reference, ragged and DiT shapes), and on a
  # failure the first bad memory access under compute-sanitizer (small shapes only); then the DiT
  # golden checks and the DiT forward with every linear on it. bench-gpu above timed and
  # cross-checked it against mma.sync at the DiT shapes.
  step tests-wgmma 90 "$junit" --select-class livetalk.kernels.cuda.CudaWgmmaTest --details=tree
  if last_failed && command -v compute-sanitizer >/dev/null; then
    step sanitizer-wgmma 120 env CUDA_LAUNCH_BLOCKING=1 compute-sanitizer --tool memcheck --print-limit 3 "$junit" \
      --select-method 'livetalk.kernels.cuda.CudaWgmmaTest#linearMatchesReferenceOnRaggedShapes' \
      --details=summary
  fi
  step verify-wgmma 120 "${PLAIN[@]}" LIVETALK_CUDA_GEMM=wgmma "$lt" verify --device cuda --golden "$ROOT/tests/golden" \
      --only dit_forward,causal_rollout,causal_rollout_small_window,causal_rollout_bf16steps
  step bench-dit-wgmma 75 "${PLAIN[@]}" LIVETALK_CUDA_GEMM=wgmma "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The wgmma flash attention (attention_sm90.cu), last of all: its tests (CPU reference on ragged
  # shapes, the DiT shape against mma.sync and exact rows; the first bad memory access under
  # compute-sanitizer if they fail), then the full-size DiT forward with every head-size-128
  # attention on it, compared with the plain run's output. No golden verify step: the golden DiT's
  # heads are 32 wide, so no flash kernel runs there. bench-gpu above timed it against mma.sync.
  step tests-flash 90 "$junit" --select-class livetalk.kernels.cuda.CudaFlashWgmmaTest --details=tree
  if last_failed && command -v compute-sanitizer >/dev/null; then
    step sanitizer-flash 120 env CUDA_LAUNCH_BLOCKING=1 compute-sanitizer --tool memcheck --print-limit 3 "$junit" \
      --select-method 'livetalk.kernels.cuda.CudaFlashWgmmaTest#raggedShapesWithWideRowsMatchReference' \
      --details=summary
  fi
  step bench-dit-flash 75 "${PLAIN[@]}" LIVETALK_CUDA_ATTN=wgmma "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The fast convolution (conv.cu, LIVETALK_CUDA_CONV=fast), after everything else: its tests (the CPU
  # reference on ragged shapes and the decoder's channel counts, the full-size decoder stages against
  # the implicit path; the first bad memory access under compute-sanitizer if they fail), the VAE
  # decode checks with it (their lines against the plain verify's: conv_summary), and bench-vae with
  # its profile beside the plain bench-vae above.
  step tests-conv 90 "$junit" --select-class livetalk.kernels.cuda.CudaConvFastTest --details=tree
  if last_failed && command -v compute-sanitizer >/dev/null; then
    step sanitizer-conv 120 env CUDA_LAUNCH_BLOCKING=1 compute-sanitizer --tool memcheck --print-limit 3 "$junit" \
      --select-method 'livetalk.kernels.cuda.CudaConvFastTest#raggedShapesMatchTheReferenceAndTheImplicitPath' \
      --details=summary
  fi
  step verify-conv 60 "${PLAIN[@]}" LIVETALK_CUDA_CONV=fast "$lt" verify --device cuda --golden "$ROOT/tests/golden" --only vae_decode
  step bench-vae-conv 60 "${PLAIN[@]}" LIVETALK_CUDA_CONV=fast "$lt" bench-vae --device cuda --frames 2 --profile
  # Its wgmma variant (conv_sm90.cu, LIVETALK_CUDA_CONV=wgmma, CC 9.0 only), last of all: the same tests
  # (skipped, saying why, off Hopper), the VAE decode checks (the golden VAE has at most 32 channels,
  # so only the 32-wide tiles run there; the tests run the decoder's full-size shapes) and bench-vae.
  step tests-conv-wgmma 90 "$junit" --select-class livetalk.kernels.cuda.CudaConvWgmmaTest --details=tree
  step verify-conv-wgmma 45 "${PLAIN[@]}" LIVETALK_CUDA_CONV=wgmma "$lt" verify --device cuda --golden "$ROOT/tests/golden" --only vae_decode
  step bench-vae-conv-wgmma 60 "${PLAIN[@]}" LIVETALK_CUDA_CONV=wgmma "$lt" bench-vae --device cuda --frames 2 --profile
  # Its TMA variant (conv_tma_sm90.cu, LIVETALK_CUDA_CONV=tma, CC 9.0 only; written without a GPU, not yet
  # run on one), on the defaults (whose convolution on CC 9.0 is the wgmma variant, whose bits it must give):
  # its tests in a JVM of their own (every CudaConvFastChecks check, and the wgmma variant's bits on the
  # decoder's shapes and ragged ones; a barrier that never completes is a hang, shown as the step's
  # timeout, exit 124; the first bad memory access under compute-sanitizer if they fail), the VAE decode
  # checks (conv_summary: the same lines as verify-default's), and bench-vae beside bench-vae-default's.
  step tests-conv-tma 90 "$junit" --select-class livetalk.kernels.cuda.CudaConvTmaTest --details=tree
  if last_failed && command -v compute-sanitizer >/dev/null; then
    step sanitizer-conv-tma 120 env CUDA_LAUNCH_BLOCKING=1 compute-sanitizer --tool memcheck --print-limit 3 "$junit" \
      --select-method 'livetalk.kernels.cuda.CudaConvTmaTest#raggedShapesGiveTheWgmmaConvolutionsBits' --details=summary
  fi
  step verify-conv-tma 45 env LIVETALK_CUDA_CONV=tma "$lt" verify --device cuda --golden "$ROOT/tests/golden" --only vae_decode
  step bench-vae-conv-tma 60 env LIVETALK_CUDA_CONV=tma "$lt" bench-vae --device cuda --frames 2 --profile
  # Its persistent form (LIVETALK_CUDA_CONV=tma_persistent: one block per SM walking the tiles; written
  # without a GPU on 2026-11-28): CudaConvTmaTest's checks on it in a JVM of their own (a ring that never
  # comes round is a hang: the step's timeout), and bench-vae beside bench-vae-conv-tma's.
  step tests-conv-tma-persistent 90 "$junit" --select-class livetalk.kernels.cuda.CudaConvTmaPersistentTest --details=tree
  step bench-vae-conv-tma-persistent 60 env LIVETALK_CUDA_CONV=tma_persistent "$lt" bench-vae --device cuda --frames 2 --profile
  # And its ping-pong form (LIVETALK_CUDA_CONV=tma_pingpong: each consumer warpgroup owns whole tiles, the two
  # in turns; tiles up to 96 wide): the same checks in a JVM of their own (a turn that never passes is a hang).
  step tests-conv-tma-pingpong 90 "$junit" --select-class livetalk.kernels.cuda.CudaConvTmaPingPongTest --details=tree
  step bench-vae-conv-tma-pingpong 60 env LIVETALK_CUDA_CONV=tma_pingpong "$lt" bench-vae --device cuda --frames 2 --profile
  # The defaults (no switch set: the device's fastest kernels), last: the whole golden verify, the
  # DiT forward against the baseline's output, the VAE and the whole pipeline.
  step verify-default 120 "$lt" verify --device cuda --golden "$ROOT/tests/golden"
  step bench-dit-default 75 "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  step bench-vae-default 60 "$lt" bench-vae --device cuda --frames 2 --profile
  step bench-pipeline-default 120 "$lt" bench-pipeline --device cuda --dit /tmp/livetalk-dit/model.safetensors --blocks 10
  # A live session as serve runs it (bench-live: its decode thread beside the DiT, the barge-in, the
  # first frame per turn), with its defaults: 3 turns of 3 s, 16 blocks taken as fast as they come.
  step bench-live-default 60 "$lt" bench-live --device cuda --dit /tmp/livetalk-dit/model.safetensors
  # The same paced, as serve paces a page (a second of media ahead): what a user waits for a reply,
  # on screen (the reply skips the media queued ahead of it, README "serve"), and deadline misses.
  step bench-live-paced 90 "$lt" bench-live --device cuda --dit /tmp/livetalk-dit/model.safetensors --paced
  # The VAE's copies fused into its convolutions' (LIVETALK_CUDA_VAE_FUSE=1: the norm applied as the
  # channels-last copy is written, the history slid in place, the upsample read through, the residual
  # blocks' adds in the GEMMs' epilogue; the default since run 10), on top of the defaults: its tests (the
  # fused ops against the unfused ones, bit for bit, on FAST and WGMMA; the TMA kernels' residual twins
  # are CudaConvTmaTest's, in the tests-conv-tma* steps;
  # the first bad memory access under compute-sanitizer if they fail), the VAE encode and decode
  # checks (their lines must be verify-default's), and bench-vae beside bench-vae-default.
  step tests-vae-fuse 150 "$junit" --select-class livetalk.kernels.cuda.CudaVaeFuseTest --details=tree
  if last_failed && command -v compute-sanitizer >/dev/null; then
    step sanitizer-vae-fuse 120 env CUDA_LAUNCH_BLOCKING=1 compute-sanitizer --tool memcheck --print-limit 3 "$junit" \
      --select-method 'livetalk.kernels.cuda.CudaVaeFuseTest#raggedShapesGiveTheUnfusedBits' --details=summary
  fi
  step verify-vae-fuse 60 env LIVETALK_CUDA_VAE_FUSE=1 "$lt" verify --device cuda --golden "$ROOT/tests/golden" --only vae_encode,vae_decode
  step bench-vae-fuse 60 env LIVETALK_CUDA_VAE_FUSE=1 "$lt" bench-vae --device cuda --frames 2 --profile
  # The TMA GEMM (LIVETALK_CUDA_GEMM=tma, the default on CC 9.0 since run 8) alone on the baseline:
  # a fault poisons the context and a barrier that never completes hangs the kernel, so short
  # limits. Its tests (every CudaWgmmaTest on the TMA kernels), the DiT checks and the DiT forward
  # against the baseline's output; bench-gpu above timed it last of all.
  step tests-tma 60 "$junit" --select-class livetalk.kernels.cuda.CudaTmaGemmTest --details=tree
  step verify-tma 60 "${PLAIN[@]}" LIVETALK_CUDA_GEMM=tma "$lt" verify --device cuda --golden "$ROOT/tests/golden" \
      --only dit_forward,causal_rollout
  step bench-dit-tma 60 "${PLAIN[@]}" LIVETALK_CUDA_GEMM=tma "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The TMA flash attention (LIVETALK_CUDA_ATTN=tma, the default on CC 9.0 since run 9), likewise:
  # its tests (every CudaFlashWgmmaTest on it, and the same bits as the wgmma kernel), then the DiT
  # forward with it alone on the baseline.
  step tests-flash-tma 60 "$junit" --select-class livetalk.kernels.cuda.CudaFlashTmaTest --details=tree
  step bench-dit-flash-tma 60 "${PLAIN[@]}" LIVETALK_CUDA_ATTN=tma "$lt" bench-dit --device cuda \
      --weights /tmp/livetalk-dit/model.safetensors --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The split-key TMA flash attention (LIVETALK_CUDA_ATTN_SPLIT=auto; written without a GPU after
  # run 9, off by default): its tests (every CudaFlashWgmmaTest with the keys in 3 ranges, then
  # every count), then the DiT forward with the defaults plus the split (bench-gpu timed the kernel last).
  # The DiT's q/k norm fused with RoPE (LIVETALK_CUDA_NORM_ROPE=1; written without a GPU after run 9,
  # off by default) on the defaults: its tests (the fused kernel against the sequence, bit for bit),
  # the DiT checks and the forward, whose lines and checksum must be the defaults'.
  step tests-norm-rope 60 "$junit" --select-class livetalk.kernels.cuda.CudaNormRopeTest --details=tree
  step verify-norm-rope 60 env LIVETALK_CUDA_NORM_ROPE=1 "$lt" verify --device cuda --golden "$ROOT/tests/golden" --only dit_forward,causal_rollout
  step bench-dit-norm-rope 60 env LIVETALK_CUDA_NORM_ROPE=1 "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The DiT's norm1/norm2 fused with their modulation (LIVETALK_CUDA_NORM_MOD=1; written without a GPU on
  # 2026-11-28, off by default) on the defaults: its tests ran in the tests step (CudaNormModTest: the
  # fused kernel against layer_norm then modulate_frames, bit for bit); the DiT checks and the forward,
  # whose lines and checksum must be the defaults'.
  step verify-norm-mod 60 env LIVETALK_CUDA_NORM_MOD=1 "$lt" verify --device cuda --golden "$ROOT/tests/golden" --only dit_forward,causal_rollout
  step bench-dit-norm-mod 60 env LIVETALK_CUDA_NORM_MOD=1 "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The DiT's output products adding into the residual stream in their epilogue (LIVETALK_CUDA_RESIDUAL=1;
  # written without a GPU on 2026-11-28, off by default) on the defaults: its tests ran in the tests
  # step (CudaResidualTest: the _resid kernels against the product and the add, bit for bit); the DiT
  # checks and the forward, whose lines and checksum must be the defaults'.
  step verify-residual 60 env LIVETALK_CUDA_RESIDUAL=1 "$lt" verify --device cuda --golden "$ROOT/tests/golden" --only dit_forward,causal_rollout
  step bench-dit-residual 60 env LIVETALK_CUDA_RESIDUAL=1 "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The three DiT fusions together (LIVETALK_CUDA_NORM_ROPE, _NORM_MOD and _RESIDUAL on the defaults):
  # each must give the defaults' bits, so together they must too. One verify and one forward, whose
  # profile sets each fused kernel beside those it replaces in bench-dit-default's, decide all three
  # in two steps; the steps above take them one at a time, for when these differ.
  step verify-dit-fusions 60 env LIVETALK_CUDA_NORM_ROPE=1 LIVETALK_CUDA_NORM_MOD=1 LIVETALK_CUDA_RESIDUAL=1 "$lt" verify --device cuda \
      --golden "$ROOT/tests/golden" --only dit_forward,causal_rollout
  step bench-dit-fusions 60 env LIVETALK_CUDA_NORM_ROPE=1 LIVETALK_CUDA_NORM_MOD=1 LIVETALK_CUDA_RESIDUAL=1 "$lt" bench-dit --device cuda \
      --weights /tmp/livetalk-dit/model.safetensors --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The TMA GEMM's tile width chosen by waves (LIVETALK_CUDA_GEMM=tma_waves: 96-wide tiles for the
  # 1536-wide products; the default since run 10; tests-tma and bench-gpu above cover its kernels) on the
  # defaults: the forward's checksum must be bench-dit-default's, since the tile width changes no sum.
  step bench-dit-tma-waves 60 env LIVETALK_CUDA_GEMM=tma_waves "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The TMA GEMM's persistent kernels (LIVETALK_CUDA_GEMM_PERSISTENT=1: one block per SM walking its
  # tiles; written without a GPU on 2026-11-28, off by default; bench-gpu above set their rows beside
  # the plain kernels'): its tests in a JVM of its own (a ring that never comes round is a hang: the
  # step's timeout), then the forward on the defaults and with the tile width by waves, whose
  # checksums must be bench-dit-default's (each tile's sums are the plain kernel's).
  step tests-tma-persistent 60 "$junit" --select-class livetalk.kernels.cuda.CudaTmaPersistentTest --details=tree
  step bench-dit-persistent 60 env LIVETALK_CUDA_GEMM_PERSISTENT=1 "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  step bench-dit-persistent-waves 60 env LIVETALK_CUDA_GEMM_PERSISTENT=1 LIVETALK_CUDA_GEMM=tma_waves "$lt" bench-dit --device cuda \
      --weights /tmp/livetalk-dit/model.safetensors --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # Its ping-pong form (LIVETALK_CUDA_GEMM_PERSISTENT=pingpong: each consumer warpgroup owns whole tiles,
  # the two in turns; written without a GPU on 2026-11-28): its tests in a JVM of their own (a turn that
  # never passes is a hang), then the forward, whose checksum must again be bench-dit-default's.
  step tests-tma-pingpong 60 "$junit" --select-class livetalk.kernels.cuda.CudaTmaPingPongTest --details=tree
  step bench-dit-pingpong 60 env LIVETALK_CUDA_GEMM_PERSISTENT=pingpong "$lt" bench-dit --device cuda --weights /tmp/livetalk-dit/model.safetensors \
      --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  step tests-flash-split 60 "$junit" --select-class livetalk.kernels.cuda.CudaFlashSplitTest --details=tree
  step bench-dit-split 60 env LIVETALK_CUDA_ATTN_SPLIT=auto "$lt" bench-dit --device cuda \
      --weights /tmp/livetalk-dit/model.safetensors --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The TMA flash attention with its two computing warpgroups in ping-pong (LIVETALK_CUDA_ATTN=tma_pingpong;
  # written without a GPU on 2026-11-28, off by default): its tests (every CudaFlashWgmmaTest on it, and the
  # TMA kernel's bits), then the DiT forward on the defaults with it, whose checksum must be the defaults'.
  step tests-flash-pp 60 "$junit" --select-class livetalk.kernels.cuda.CudaFlashPingPongTest --details=tree
  step bench-dit-flash-pp 60 env LIVETALK_CUDA_ATTN=tma_pingpong "$lt" bench-dit --device cuda \
      --weights /tmp/livetalk-dit/model.safetensors --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # Both: the split kernel in ping-pong (its tests: every CudaFlashSplitTest on it, and the split kernel's bits),
  # then the DiT forward with the split rule and the ping-pong on the defaults.
  step tests-flash-split-pp 60 "$junit" --select-class livetalk.kernels.cuda.CudaFlashSplitPingPongTest --details=tree
  step bench-dit-split-pp 60 env LIVETALK_CUDA_ATTN=tma_pingpong LIVETALK_CUDA_ATTN_SPLIT=auto "$lt" bench-dit --device cuda \
      --weights /tmp/livetalk-dit/model.safetensors --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  # The short softmax (LIVETALK_CUDA_ATTN=tma_pingpong_fastexp; written without a GPU on 2026-11-29, opt-in): its
  # tests (every CudaFlashWgmmaTest and CudaFlashSplitTest on it, with their bounds: it rounds its exponents
  # otherwise), then the DiT forward with it on the defaults (the split rule included), not the defaults' bits:
  # its error against the baseline is what must hold.
  step tests-flash-fastexp 60 "$junit" --select-class livetalk.kernels.cuda.CudaFlashFastExpTest \
      --select-class livetalk.kernels.cuda.CudaFlashSplitFastExpTest --details=tree
  step bench-dit-flash-fastexp 60 env LIVETALK_CUDA_ATTN=tma_pingpong_fastexp "$lt" bench-dit --device cuda \
      --weights /tmp/livetalk-dit/model.safetensors --runs 5 --profile --compare-output /tmp/livetalk-dit/out-mma-sync.f32
  {
    echo "{"
    echo "  \"device\": \"$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)\","
    echo "  \"steps\": ["
    local first=1
    for s in "${STEPS[@]}"; do
      set -- $s
      [ $first = 1 ] || echo ","
      if [[ "$2" =~ ^[0-9]+$ ]]; then printf '    {"step": "%s", "exit": %s, "seconds": %s}' "$1" "$2" "$3"
      else printf '    {"step": "%s", "exit": null, "status": "%s"}' "$1" "$2"; fi
      first=0
    done
    echo ""
    echo "  ]"
    echo "}"
  } > "$OUTDIR/gpu-check.json"
  # a step left out or deferred has no log: its lines are missing, without an error each
  {
    echo "== summary"
    grep -hE "Tests (successful|failed|skipped)|tests (successful|failed)" "$OUTDIR/tests.log" 2>/dev/null || true
    grep -hE "^(linear|attention)" "$OUTDIR/bench-gpu.log" 2>/dev/null || true
    grep -h "verdict" "$OUTDIR/verify.log" 2>/dev/null || true
    grep -hE "^forward|load" "$OUTDIR/bench-dit.log" | tail -4 || true
    fused_summary
    grep -hiE "frame|GFLOP|TFLOP" "$OUTDIR/bench-vae.log" | tail -4 || true
    grep -hiE "first frame|memory|conditioning" "$OUTDIR/bench-pipeline.log" | grep -v '^block' || true
    # GPU memory held after the first, second and last block: no growth after the second (no leak)
    grep -hE "^block (1|2|10)/" "$OUTDIR/bench-pipeline.log" | sed 's/, load average.*//' || true
    streams_summary
    echo "-- wgmma GEMM (LIVETALK_CUDA_GEMM=wgmma)"
    # an assumption (not CC 9.0, or the module did not load) shows as "aborted", with its reason
    grep -hE "tests (successful|failed|aborted)|wgmma GEMM not available" "$OUTDIR/tests-wgmma.log" | sort -u || true
    grep -hE "^(check|linear on wgmma)" "$OUTDIR/bench-gpu.log" 2>/dev/null || true
    grep -h "verdict" "$OUTDIR/verify-wgmma.log" 2>/dev/null || true
    grep -h "^model" "$OUTDIR/bench-dit-wgmma.log" 2>/dev/null || true
    grep -h "^forward" "$OUTDIR/bench-dit-wgmma.log" | tail -2 || true
    grep -h "^output vs" "$OUTDIR/bench-dit-wgmma.log" | sed 's/^/wgmma GEMM /' || true
    grep -h "gemm_bf16" "$OUTDIR/bench-dit-wgmma.log" "$OUTDIR/bench-dit.log" 2>/dev/null || true
    echo "-- wgmma flash attention (LIVETALK_CUDA_ATTN=wgmma)"
    flash_summary
    conv_summary
    echo "-- the defaults (no switch set)"
    grep -h "verdict" "$OUTDIR/verify-default.log" 2>/dev/null || true
    grep -hE "^(model|output vs)" "$OUTDIR/bench-dit-default.log" 2>/dev/null || true
    grep -h "^forward" "$OUTDIR/bench-dit-default.log" 2>/dev/null | tail -2 || true
    grep -h "^back to back" "$OUTDIR/bench-dit-default.log" 2>/dev/null || true
    grep -hE "^(gemm|flash|all kernels)" "$OUTDIR/bench-dit-default.log" 2>/dev/null || true
    # where the forward's wall time above its kernels went (docs/cuda-performance.md#reading-a-profile)
    grep -hE "^(timeline|idle before|host|  )" "$OUTDIR/bench-dit-default.log" 2>/dev/null | sed 's/^/dit /' || true
    grep -hE "^(VAE|latent frame [1-9])" "$OUTDIR/bench-vae-default.log" 2>/dev/null | tail -2 || true
    grep -hE "^(timeline|host:)" "$OUTDIR/bench-vae-default.log" 2>/dev/null | sed 's/^/vae /' || true
    grep -hiE "^bench-pipeline|first frame|GPU memory held by" "$OUTDIR/bench-pipeline-default.log" | grep -v '^block' || true
    grep -hE "^block (1|2|10)/" "$OUTDIR/bench-pipeline-default.log" | sed 's/, load average.*//' || true
    echo "-- bench-live (a live session as serve runs it; the defaults)"
    grep -hE "^(bench-live|session:|turn |listening|barge-in|blocks given up|memory after|GPU memory held by|peak RSS|json)|^ +blocks" "$OUTDIR/bench-live-default.log" 2>/dev/null || true
    echo "-- bench-live --paced (as serve paces a page)"
    grep -hE "^(turn |listening|barge-in|blocks given up)|^ +blocks" "$OUTDIR/bench-live-paced.log" 2>/dev/null || true
    vae_fuse_summary
    echo "-- the TMA GEMM (LIVETALK_CUDA_GEMM=tma)"
    grep -hE "tests (successful|failed|aborted)" "$OUTDIR/tests-tma.log" 2>/dev/null | sort -u || true
    grep -hE "^(linear .*tma|check tma)" "$OUTDIR/bench-gpu.log" 2>/dev/null || true
    grep -h "verdict" "$OUTDIR/verify-tma.log" 2>/dev/null || true
    grep -hE "^(output vs|gemm)" "$OUTDIR/bench-dit-tma.log" 2>/dev/null || true
    grep -h "^forward" "$OUTDIR/bench-dit-tma.log" 2>/dev/null | tail -2 || true
    echo "-- the TMA flash attention (LIVETALK_CUDA_ATTN=tma)"
    grep -hE "tests (successful|failed|aborted)" "$OUTDIR/tests-flash-tma.log" 2>/dev/null | sort -u || true
    grep -hE "^(attention .*tma|check flash tma)" "$OUTDIR/bench-gpu.log" 2>/dev/null | grep -v ping-pong || true
    grep -hE "^(model|output vs|flash|all kernels)" "$OUTDIR/bench-dit-flash-tma.log" 2>/dev/null || true
    grep -h "^forward" "$OUTDIR/bench-dit-flash-tma.log" 2>/dev/null | tail -2 || true
    norm_rope_summary
    dit_switch_summary norm-mod "the DiT's layer norm fused with its modulation (LIVETALK_CUDA_NORM_MOD=1, on the defaults)" \
      CudaNormModTest 'layer_norm|modulate_frames'
    dit_switch_summary residual "the DiT's residual adds in the products' epilogue (LIVETALK_CUDA_RESIDUAL=1, on the defaults)" \
      CudaResidualTest 'gemm_bf16_tn_tma|gated_add_frames|add '
    dit_switch_summary dit-fusions "the three DiT fusions together (LIVETALK_CUDA_NORM_ROPE=1, _NORM_MOD=1, _RESIDUAL=1, on the defaults)" \
      'CudaNormModTest|CudaResidualTest' 'rms_norm|rope|f32_to_bf16_rows|layer_norm|modulate_frames|gemm_bf16_tn_tma|gated_add_frames|add '
    echo "-- the TMA GEMM's tile width by waves (LIVETALK_CUDA_GEMM=tma_waves, on the defaults)"
    grep -hE "^(linear .*tma_(n96|waves)|check tma_(n96|waves))" "$OUTDIR/bench-gpu.log" 2>/dev/null || true
    same_checksum bench-dit-tma-waves
    grep -hE "^(forward|gemm_bf16_tn_tma|all kernels)" "$OUTDIR/bench-dit-tma-waves.log" 2>/dev/null | tail -6 || true
    gemm_schedule_summary persistent 1 bench-dit-persistent bench-dit-persistent-waves
    gemm_schedule_summary pingpong pingpong bench-dit-pingpong
    echo "-- the split-key TMA flash attention (LIVETALK_CUDA_ATTN_SPLIT=auto)"
    grep -hE "tests (successful|failed|aborted)" "$OUTDIR/tests-flash-split.log" 2>/dev/null | sort -u || true
    grep -hE "^(attention .*tma in|check flash tma split)" "$OUTDIR/bench-gpu.log" 2>/dev/null || true
    grep -hE "^(model|output vs|flash|all kernels)" "$OUTDIR/bench-dit-split.log" 2>/dev/null || true
    grep -h "^forward" "$OUTDIR/bench-dit-split.log" 2>/dev/null | tail -2 || true
    echo "-- the TMA flash attention in ping-pong (LIVETALK_CUDA_ATTN=tma_pingpong, on the defaults)"
    grep -hE "tests (successful|failed|aborted)" "$OUTDIR/tests-flash-pp.log" 2>/dev/null | sort -u || true
    grep -hE "^(attention .*ping-pong|check flash tma ping-pong)" "$OUTDIR/bench-gpu.log" 2>/dev/null | grep -v fastexp || true
    same_checksum bench-dit-flash-pp
    grep -hE "^(forward|flash|all kernels)" "$OUTDIR/bench-dit-flash-pp.log" 2>/dev/null | tail -4 || true
    grep -hE "tests (successful|failed|aborted)" "$OUTDIR/tests-flash-split-pp.log" 2>/dev/null | sort -u | sed 's/^/split ping-pong /' || true
    grep -hE "^(output vs|forward|flash|all kernels)" "$OUTDIR/bench-dit-split-pp.log" 2>/dev/null | tail -5 | sed 's/^/split ping-pong /' || true
    echo "-- the short softmax (LIVETALK_CUDA_ATTN=tma_pingpong_fastexp, on the defaults)"
    grep -hE "tests (successful|failed|aborted)" "$OUTDIR/tests-flash-fastexp.log" 2>/dev/null | sort -u || true
    grep -hE "^(attention .*fastexp|check flash fastexp)" "$OUTDIR/bench-gpu.log" 2>/dev/null || true
    grep -hE "^(output vs|forward|flash|all kernels)" "$OUTDIR/bench-dit-flash-fastexp.log" 2>/dev/null | tail -5 || true
  } 2>/dev/null
  # each switch written without a GPU against the rules of docs/cuda-performance.md ("The next GPU run")
  "$lt" gpu-verdicts "$OUTDIR" 2>&1 | grep -v '^WARNING: Using incubator' || true
  for s in "${STEPS[@]}"; do echo "step $s"; done
  local deferred; deferred="$(printf '%s\n' "${STEPS[@]}" | awk '$2 == "deferred" {print $1}' | paste -sd, -)"
  if [ -n "$deferred" ]; then
    echo "deferred for lack of time; run them next (on the same machine, or with the logs of this run):"
    echo "  scripts/gpu-check.sh run \$OUT --only $deferred --logs <this run's OUTDIR>"
  fi
  # the device returns a handful of files: every log and diff in one archive beside the JSON
  (cd "$OUTDIR" && find . -maxdepth 1 \( -name '*.log' -o -name '*.diff' \) -printf '%f\n' > .packed \
    && tar -czf logs.tar.gz -T .packed && xargs -r rm -f < .packed; rm -f .packed)
}

case "${1:-}" in
  kit) kit ;;
  run) shift; run "$@" ;;
  *) echo "usage: scripts/gpu-check.sh kit | run [OUTDIR] [--only STEP,STEP...] [--logs DIR]" >&2; exit 2 ;;
esac
