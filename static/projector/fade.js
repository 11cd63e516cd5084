// A fading wall (the exhibit's fade_seconds): how much of a segment's ink is left at
// an age, and how much a fade step takes away. Pure.

export const FADE_FLOOR = 0.02; // what is left of ink after fade_seconds

// The opacity of ink `ageMs` old; 1 when the wall does not fade.
export function inkAlpha(ageMs, fadeSeconds) {
  if (!fadeSeconds) return 1;
  return Math.pow(FADE_FLOOR, Math.max(0, ageMs) / 1000 / fadeSeconds);
}

// How often the buffer is dimmed: a hundred steps over fade_seconds, at most 10 a second.
export function fadeStepMs(fadeSeconds) {
  return Math.max(100, (fadeSeconds * 1000) / 100);
}

// The background's opacity painted over the buffer each step, so that after
// fade_seconds the ink is at FADE_FLOOR.
export function fadeStepAlpha(stepMs, fadeSeconds) {
  return 1 - Math.pow(FADE_FLOOR, stepMs / (fadeSeconds * 1000));
}
