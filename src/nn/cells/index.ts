/**
 * The one-step recurrent cells (RNN, LSTM, GRU), written with the autodiff ops. The
 * layers that run them over time, fused and hoisted, are in src/nn/recurrent.ts.
 */
export { RecurrentCell, type CellOptions, type GatedCellOptions } from "./cell.js";
export { RNNCell, type RNNCellOptions } from "./rnn.js";
export { LSTMCell, type LstmState } from "./lstm.js";
export { GRUCell, type GRUCellOptions } from "./gru.js";
