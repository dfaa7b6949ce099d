/*
 * polld - plugin SDK umbrella header
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "pd-config.h"
#include "pd-cycle-cache.h"
#include "pd-discovery.h"
#include "pd-error.h"
#include "pd-metadata.h"
#include "pd-plugin.h"
#include "pd-poll-context.h"
#include "pd-pollster.h"
#include "pd-resource.h"
#include "pd-sample.h"
#include "pd-slab.h"
#include "pd-version.h"
#include "pd-worker.h"
