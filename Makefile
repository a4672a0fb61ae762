# Campus Console — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM := $(VENV)/.system-deps

# Debian packages: Qt's runtime libraries, a CJK font so Chinese renders, Xvfb for real-window checks,
# the independent RTSP peer for the video tests (gst-rtsp-server under the system Python), and ffmpeg plus
# iproute2 for the ONVIF peer (ipycam encodes with ffmpeg and runs in a private network namespace).
DEBIAN_PACKAGES := fonts-noto-cjk libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 \
	libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libpulse0 libasound2 xvfb \
	python3 python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp \
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad \
	ffmpeg iproute2 util-linux

.PHONY: demo test install system-deps lint translations sounds bench clean

demo: install
	$(BIN)/campus-console --demo $(ARGS)

test: system-deps install
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# ipycam (the independent ONVIF camera the tests talk to) asks for opencv-python, which would clash with
	# our opencv-python-headless (both are the cv2 module); the headless build satisfies it at run time.
	$(BIN)/python -m pip install --quiet --no-deps 'ipycam==1.3.0'
	touch $@

# Installs Debian packages only when run as root on a Debian-like system; otherwise says what is needed.
system-deps: $(SYSTEM)

$(SYSTEM):
	@mkdir -p $(VENV)
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES) >/dev/null; \
	else \
		echo "not root: make sure these Debian packages (or equivalents) are installed: $(DEBIAN_PACKAGES)"; \
	fi
	touch $@

lint: install
	$(BIN)/ruff check console widgets drivers tests packaging
	$(BIN)/lint-imports

translations: install
	$(BIN)/python packaging/i18n.py

sounds: install
	$(BIN)/python packaging/make_sounds.py

bench: install
	$(BIN)/campus-console bench ingest --json

clean:
	rm -rf $(VENV) build dist *.egg-info
