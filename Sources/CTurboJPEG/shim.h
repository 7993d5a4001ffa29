// libjpeg-turbo's TurboJPEG API (Debian: libturbojpeg0-dev), for tiny-ImageNet's JPEG files.
#include <turbojpeg.h>
