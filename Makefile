# ide-opal-hd: build, test and benchmark.  Run ./configure first.
#
#   make          QEMU with ide-opal-hd (build/qemu-system-x86_64), tools, engine
#   make check    every test: engine unit tests, qtests, Linux guest tests
#   make demo     boot a small Linux guest on a fresh ide-opal-hd (the README's main job)
#   make bench    benchmarks

BUILD := build
QEMU_BUILD := $(BUILD)/qemu
JOBS ?= $(shell nproc)
# Where QEMU, run from its build tree, looks for firmware: its data directory
# (<prefix>/share/qemu) inside the qemu-bundle tree that the build lays out.
BUNDLE_DATADIR = $(firstword $(wildcard $(QEMU_BUILD)/qemu-bundle/*/share/qemu \
                                        $(QEMU_BUILD)/qemu-bundle/*/*/share/qemu))

.PHONY: all qemu engine firmware check check-unit check-qtest check-guest demo bench clean

all: qemu engine

$(QEMU_BUILD)/build.ninja $(BUILD)/engine/build.ninja:
	@echo "Run ./configure first." >&2; exit 1

qemu: $(QEMU_BUILD)/build.ninja
	scripts/overlay.sh $(BUILD)/src/qemu $(BUILD)/src/pristine
	$(MAKE) -C $(QEMU_BUILD) -j$(JOBS) qemu-system-x86_64 qemu-img pc-bios/optionrom/all
	$(MAKE) firmware
	ln -sfn qemu/qemu-system-x86_64 $(BUILD)/qemu-system-x86_64
	ln -sfn qemu/qemu-img $(BUILD)/qemu-img

# SeaBIOS from Debian's seabios package; option ROMs (for -kernel) from our build.
firmware:
	test -d "$(BUNDLE_DATADIR)"
	ln -sfn /usr/share/seabios/bios-256k.bin $(BUNDLE_DATADIR)/bios-256k.bin
	ln -sfn /usr/share/seabios/vgabios-stdvga.bin $(BUNDLE_DATADIR)/vgabios-stdvga.bin
	for rom in $(QEMU_BUILD)/pc-bios/optionrom/*.bin; do \
	    ln -sfn $(abspath $(QEMU_BUILD))/pc-bios/optionrom/$${rom##*/} $(BUNDLE_DATADIR)/$${rom##*/}; \
	done

engine: $(BUILD)/engine/build.ninja
	ninja -C $(BUILD)/engine

check: check-unit check-qtest check-guest

check-unit: engine
	meson test -C $(BUILD)/engine --print-errorlogs

check-qtest: qemu
	ninja -C $(QEMU_BUILD) tests/qtest/opal-test
	QTEST_QEMU_BINARY=./$(QEMU_BUILD)/qemu-system-x86_64 \
	    QTEST_QEMU_IMG=./$(QEMU_BUILD)/qemu-img \
	    $(QEMU_BUILD)/tests/qtest/opal-test --tap -k

check-guest: qemu
	tests/guest/run-all.sh $(BUILD)

demo: qemu
	tests/guest/demo.sh $(BUILD)

bench: qemu
	@echo "make bench: no benchmarks yet: they arrive with the media gate (locking ranges, encryption)." >&2

clean:
	rm -rf $(QEMU_BUILD) $(BUILD)/engine $(BUILD)/tests-guest
