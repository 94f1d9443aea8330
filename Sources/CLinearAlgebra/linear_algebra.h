// OpenBLAS's CBLAS and the LAPACKE C interface, as Debian installs them
// (libopenblas-dev, liblapacke-dev).
#ifndef ROMA_LINEAR_ALGEBRA_H
#define ROMA_LINEAR_ALGEBRA_H
#include <cblas.h>
#include <lapacke.h>
#endif
