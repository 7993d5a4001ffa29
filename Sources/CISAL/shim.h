// Intel ISA-L (Debian's libisal-dev): its CRC-32C (crc32_iscsi), for TensorBoard's record framing.
#include <isa-l/crc.h>
