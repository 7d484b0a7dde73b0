# The device set of ide-opal-hd's QEMU build (configure --with-devices-x86_64=opal):
# the two PC machines and what a guest needs to boot on them, nothing else.

# q35 brings the ICH9 AHCI controller (bus "ide.0"); i440fx brings PIIX legacy IDE.
CONFIG_Q35=y
CONFIG_I440FX=y
CONFIG_AHCI_ICH9=y

# The emulated TCG Opal drive.
CONFIG_IDE_OPAL=y

# A display for users who want one (-nographic guests do without it).
CONFIG_VGA_PCI=y
