/**
 * `rnnkit/tasks`: the data of the classic experiments, apart from the library proper —
 * synthetic task generators (linear recurrence, the echo task, the long-time-lag task),
 * a small embedded text corpus with a character vocabulary, and MNIST as row sequences
 * from parsed IDX bytes. Platform-neutral; reading IDX files from disk is `rnnkit/node`.
 *
 * @module rnnkit/tasks
 */
export { linearRecurrence, type RegressionSet } from "./data/synthetic.js";
export { embeddedCorpus, CharVocab } from "./data/corpus.js";
export { echoSeries, echoProbability, echoExpectedLoss, echoRows, echoWindow, ECHO_LAGS, type EchoSeries } from "./data/echo.js";
export { lagSequence, lagBatch, lagCheck, lagVocabulary, LAG_ERROR_THRESHOLD, type LagBatch, type LagCheck } from "./data/lag.js";
export { parseIdx, IdxError, type IdxArray } from "./data/idx.js";
export { mnistSplit, rowSequences, sliceMnist, MNIST_FILES, type MnistSplit, type MnistData, type MnistBatch } from "./data/mnist.js";
