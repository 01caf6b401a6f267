/** SPEC: the lifetimes a key can be given: one hour, one day, one calendar month, one calendar year. */
export const EXPIRIES = ['1H', '1D', '1M', '1Y'] as const;
export type Expiry = (typeof EXPIRIES)[number];

/**
 * When a key made at `now` stops working. `1H` and `1D` are 3,600 and 86,400 seconds. `1M` and
 * `1Y` are calendar months and years in UTC (the service knows no user time zone): the same day of
 * the month and time of day, clamped to the last day of a shorter month, so Jan 31 + 1M is the end
 * of February (28th or 29th) and Feb 29 + 1Y is Feb 28. PostgreSQL's `interval '1 month'` agrees.
 */
export function expiresAtFor(now: Date, expiry: Expiry): Date {
  switch (expiry) {
    case '1H':
      return new Date(now.getTime() + 3_600_000);
    case '1D':
      return new Date(now.getTime() + 86_400_000);
    case '1M':
      return addCalendarMonths(now, 1);
    case '1Y':
      return addCalendarMonths(now, 12);
  }
}

function addCalendarMonths(from: Date, months: number): Date {
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() + months;
  // Day 0 of the following month is the last day of the target month.
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      year,
      month,
      Math.min(from.getUTCDate(), lastDay),
      from.getUTCHours(),
      from.getUTCMinutes(),
      from.getUTCSeconds(),
      from.getUTCMilliseconds(),
    ),
  );
}
