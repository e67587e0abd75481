// main.cpp: the unit-test runner. Catch2 v2 writes main(); every other file in
// tests/unit/ only adds TEST_CASEs.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
