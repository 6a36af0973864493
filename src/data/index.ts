// The data side, in pipeline order: split lists -> video decoding -> sampling and augmentation ->
// batches; plus the kit's own synthetic data set, the data set check and the UCF101 download.
export * from "./ucf101";
export * from "./holdout";
export * from "./ffmpeg";
export * from "./avi";
export * from "./video";
export * from "./rng";
export * from "./sampling";
export * from "./pipeline";
export * from "./loader";
export * from "./synth";
export * from "./check";
export * from "./download";
export * from "./labels";
