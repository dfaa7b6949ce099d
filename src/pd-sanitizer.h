/*
 * polld - what a build with a sanitizer does differently
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/* 1 in a build with AddressSanitizer (GCC's and clang's ways of saying
 * so): its leak checks need everything freed at exit, so the shortcuts
 * that leave memory to the process's end are off there; 0 otherwise */
#if defined(__SANITIZE_ADDRESS__)
#define PD_FREE_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PD_FREE_AT_EXIT 1
#endif
#endif
#ifndef PD_FREE_AT_EXIT
#define PD_FREE_AT_EXIT 0
#endif
