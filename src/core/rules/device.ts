import { classify } from "../tracking/classify.js";
import type { Device } from "./conditions.js";

/**
 * What the user agent of an image request says about where it is shown.
 *
 * Mailbox proxies (Gmail, Yahoo) and Apple Mail Privacy Protection fetch images on the
 * reader's behalf with their own UA, so the device behind them is unknown: they get their
 * own tag and none of ios/android/desktop. Those three verdicts come from classify() so
 * rules and tracking stats agree on what a proxy is. Outlook (desktop, iOS, Android apps)
 * matters on its own because Word renders its HTML: it shows only a GIF's first frame.
 */
const OUTLOOK_RE = /microsoft outlook|ms-office|msoffice|microsoft office\/|outlook-ios|outlook-android/;
const IOS_RE = /iphone|ipad|ipod|outlook-ios/;
const ANDROID_RE = /android/;
const DESKTOP_RE = /windows|macintosh|mac os x|x11|cros |linux|thunderbird/;

/** Real UAs are < 512 chars; matching more only lets a hostile client burn CPU. */
const MAX_UA = 1024;

export function devicesOf(userAgent: string | null, ip: string | null, at: number): Set<Device> {
  const out = new Set<Device>();
  const ua = (userAgent ?? "").slice(0, MAX_UA).toLowerCase();
  const verdict = classify({ kind: "open", method: "GET", userAgent, ip, at }).class;
  if (verdict === "gmail_proxy" || verdict === "yahoo_proxy" || verdict === "apple_mpp") {
    out.add(verdict);
    return out;
  }
  if (OUTLOOK_RE.test(ua)) out.add("outlook");
  if (IOS_RE.test(ua)) out.add("ios");
  else if (ANDROID_RE.test(ua)) out.add("android");
  else if (DESKTOP_RE.test(ua)) out.add("desktop");
  if (out.has("ios") || out.has("android")) out.add("mobile");
  return out;
}
