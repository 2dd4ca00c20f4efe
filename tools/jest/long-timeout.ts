// Per-project testTimeout is not honoured in multi-project runs; set it here.
jest.setTimeout(Number(process.env.TALLY_TEST_TIMEOUT_MS ?? 240000));
