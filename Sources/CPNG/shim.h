// libpng's simplified read API (Debian: libpng-dev), for PNG files in an ImageFolder.
#include <png.h>
