/*
 * carelog.h - the whole public API of libcarelog.
 *
 * carelog is an offline-first record engine for families living with ALPS and
 * the clinics that treat them. Include this header; link with `carelog`
 * (pkg-config carelog, or CMake find_package(carelog) -> carelog::carelog).
 */
#ifndef CARELOG_H
#define CARELOG_H

#include "carelog/common.h"
#include "carelog/store.h"
#include "carelog/record.h"
#include "carelog/write.h"
#include "carelog/query.h"
#include "carelog/sync.h"
#include "carelog/clinical.h"
#include "carelog/exchange.h"
#include "carelog/report.h"

#endif
