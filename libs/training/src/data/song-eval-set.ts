// The built-in eval set for `song-analysis`: 50 songs whose lyrics were written for Margin (synthetic, no
// real song's words), each with the review a careful human reviewer gave it under the default rubric.
// Half are clearly suitable, the rest spread over the rubric's concern categories and verdicts, so that a
// model's agreement, score error and concern F1 say something.

export interface SongEvalItem {
  input: { title: string; artist: string; lyrics: string };
  expected: { verdict: 'approved' | 'caution' | 'rejected'; score: number; concerns: string[] };
}

/** A fixed id: the set is seeded by a migration and is the same on every installation. */
export const SONG_EVAL_SET_ID = '5e7a1b2c-0000-4000-8000-000000000050';
export const SONG_EVAL_SET_NAME = 'song-analysis: 50 songs (built-in)';

const song = (title: string, lyrics: string[], verdict: SongEvalItem['expected']['verdict'], score: number, concerns: string[] = []): SongEvalItem => ({
  input: { title, artist: 'Margin Eval Ensemble', lyrics: lyrics.join('\n') },
  expected: { verdict, score, concerns },
});

export const SONG_EVAL_ITEMS: readonly SongEvalItem[] = [
  song(
    'Harbor Lights',
    ['The harbor lights are calling me home', 'Across the water I am not alone', 'Grace like a lantern over the foam', 'Carry me safely back to my own'],
    'approved',
    96,
  ),
  song(
    'Seed and Soil',
    ['A seed goes down in the quiet ground', 'Patience is the only sound', 'Spring will come and lift it high', 'Every root can reach the sky'],
    'approved',
    94,
  ),
  song(
    'Kitchen Table',
    [
      'Bread on the table, laughter and tea',
      'Grandmother singing a hymn for me',
      'Hands that are folded, hearts that are free',
      'This is the home that I want to be',
    ],
    'approved',
    97,
  ),
  song(
    'Mountain Prayer',
    ['I lift my eyes up to the hills', 'Where does my help come from', 'The one who made the rivers still', 'Will keep me till the morning comes'],
    'approved',
    98,
  ),
  song(
    'New Morning',
    ['Yesterday is over, the slate is clean', 'Mercy is new with the morning sheen', 'I will try again with a kinder heart', 'Every day is a brand new start'],
    'approved',
    95,
  ),
  song(
    'Brother Mine',
    ['We fought as boys and we made it right', 'You held my hand on the darkest night', 'Brother mine, whatever comes', 'We walk together, we are one'],
    'approved',
    93,
  ),
  song(
    'Lantern Song',
    ['Little light, shine in the hall', 'Keep the shadows off the wall', 'Sleep now, child, the stars are near', 'Love is watching, never fear'],
    'approved',
    98,
  ),
  song(
    'Rain on the Fields',
    [
      'Rain on the fields after the drought',
      'Farmers are singing, children run out',
      'Thank you for water, thank you for bread',
      'Thank you for every word that was said',
    ],
    'approved',
    96,
  ),
  song(
    'Wedding Vow',
    ['I will love you when the roses fade', 'In the sunshine and the shade', 'Two hearts joined before the Lord', 'Faithful always, one accord'],
    'approved',
    95,
  ),
  song(
    'Old Hymnbook',
    ['Pages worn by my mother’s hand', 'Songs of a far and promised land', 'I sing them now with a trembling voice', 'And in the singing I rejoice'],
    'approved',
    97,
  ),
  song(
    'Valley Walk',
    ['Though I walk where the shadows fall', 'I will not fear at all', 'Your staff and rod, they comfort me', 'Beside still waters I will be'],
    'approved',
    97,
  ),
  song(
    'Open Door',
    [
      'There is a door that is never locked',
      'A welcome there for all who knocked',
      'Come as you are, come tired and worn',
      'Come and be loved, come and be reborn',
    ],
    'approved',
    95,
  ),
  song(
    'Summer Choir',
    ['Under the oak the children sing', 'Praises for every growing thing', 'Sunlight dancing on every face', 'All of the world is full of grace'],
    'approved',
    96,
  ),
  song(
    'Neighbor',
    ['I saw you struggling with your load', 'I stopped beside you on the road', 'We are neighbors, that is all', 'I will catch you if you fall'],
    'approved',
    94,
  ),
  song(
    'Quiet Strength',
    ['Strength is not in shouting loud', 'Strength is kneeling, humble, bowed', 'Gentle answers turn away', 'The anger of a bitter day'],
    'approved',
    93,
  ),
  song(
    'Lament for a Friend',
    ['I miss you more than words can say', 'The empty chair, the grey of day', 'But I believe we’ll meet again', 'Where there is no more grief or pain'],
    'approved',
    90,
  ),
  song(
    'Doubting Thomas',
    ['I have questions in the night', 'I cannot always see the light', 'Still I reach out for your hand', 'Even when I don’t understand'],
    'approved',
    89,
  ),
  song(
    'River Baptism',
    ['Down to the river we went that day', 'Singing the old songs along the way', 'Washed in the water, raised to the sun', 'A new life together has begun'],
    'approved',
    96,
  ),
  song(
    'Thankful',
    ['For the roof and for the rain', 'For the healing after pain', 'For the friends who stayed so long', 'I give thanks in this small song'],
    'approved',
    97,
  ),
  song(
    'Starlit Field',
    ['The shepherds watched the starlit field', 'The quiet night, the heavens revealed', 'Peace on earth, goodwill to men', 'Sing it again and again'],
    'approved',
    98,
  ),
  song(
    'Work Song',
    [
      'Hammer and nail and an honest day',
      'Building a house where the children play',
      'Sweat on my brow and a song in my chest',
      'Sunday will come and I will rest',
    ],
    'approved',
    94,
  ),
  song(
    'Forgiveness',
    ['You hurt me once, I held it tight', 'I carried it through every night', 'Today I set that burden down', 'I forgive you, and I’m found'],
    'approved',
    95,
  ),
  song(
    'Candle in the Window',
    ['A candle in the window burns', 'For every child who still returns', 'No matter how far you may roam', 'There is a light to lead you home'],
    'approved',
    96,
  ),
  song(
    'Morning Run',
    ['Feet on the gravel, breath in the cold', 'Chasing the sunrise, silver and gold', 'Body and spirit awake and alive', 'Grateful for every day I survive'],
    'approved',
    92,
  ),
  song(
    'Psalm of the Sea',
    ['The sea roars out and claps its hands', 'The waves bow down upon the sands', 'All creation sings its part', 'I join it with a grateful heart'],
    'approved',
    97,
  ),
  song(
    'Last Call',
    [
      'Pour me another, the night is young',
      'Whiskey and wine on the tip of my tongue',
      'Drinking away what I cannot face',
      'Nothing is wrong in this happy place',
    ],
    'caution',
    55,
    ['substance'],
  ),
  song(
    'Empty Room',
    ['I sit alone in an empty room', 'Nothing ahead of me but gloom', 'No one would notice if I were gone', 'The night is long and it goes on'],
    'caution',
    45,
    ['despair'],
  ),
  song(
    'Bad Day',
    ['This damn alarm, this damn old car', 'This damn commute that goes too far', 'But I get home and you are there', 'And I forget the things I swear'],
    'caution',
    66,
    ['profanity'],
  ),
  song(
    'Rich Man',
    ['I want the gold, I want it all', 'I’ll climb on others, watch them fall', 'Money is the only god I know', 'The more I get, the more I grow'],
    'caution',
    48,
    ['other'],
  ),
  song(
    'Payback',
    [
      'You crossed me once, you will regret',
      'I never forgive and I never forget',
      'I’ll wait for the day you’re on your knees',
      'Revenge is sweeter than a summer breeze',
    ],
    'caution',
    42,
    ['other'],
  ),
  song(
    'Party Pills',
    [
      'Take a little something, feel the beat',
      'Swallow the stars and lose your feet',
      'Everybody’s flying, come on in',
      'Tonight we don’t care where we’ve been',
    ],
    'caution',
    40,
    ['substance'],
  ),
  song(
    'Dark Tavern',
    ['Down at the tavern the fights begin', 'Fists are flying, the losers grin', 'Blood on the floor and a broken chair', 'Nobody leaves without a scare'],
    'caution',
    50,
    ['violence'],
  ),
  song(
    'Smoke Break',
    ['Light one up behind the school', 'Breaking every single rule', 'Smoke curls up into the blue', 'It’s what the cool kids always do'],
    'caution',
    58,
    ['substance'],
  ),
  song(
    'Heartbreak Hotel Room',
    [
      'You left me here with the lights turned low',
      'Whispers of things that I shouldn’t know',
      'Your perfume lingers on the sheets',
      'The memory of those summer heats',
    ],
    'caution',
    60,
    ['sexual'],
  ),
  song(
    'Cold Water',
    ['The water’s cold and the bridge is high', 'Sometimes I think about goodbye', 'But a voice inside says wait a day', 'And so tonight I choose to stay'],
    'caution',
    62,
    ['despair'],
  ),
  song(
    'Hell of a Night',
    ['We had a hell of a night in town', 'Dancing until the sun came down', 'Laughing loud with all my friends', 'Wishing the night would never end'],
    'caution',
    68,
    ['profanity'],
  ),
  song(
    'Street King',
    ['I run these streets, I am the law', 'Step to me and I break your jaw', 'Respect is earned with a heavy hand', 'Everyone here will understand'],
    'caution',
    40,
    ['violence'],
  ),
  song(
    'Tarot Girl',
    ['She reads the cards by candlelight', 'She says the stars will guide me right', 'The moon, the tower, the hanging man', 'My future’s written in her hand'],
    'caution',
    58,
    ['occult'],
  ),
  song(
    'Burn It Down',
    ['Burn it down, burn it all', 'Watch the city towers fall', 'Fire and fury, smash and break', 'Everything is ours to take'],
    'rejected',
    25,
    ['violence'],
  ),
  song(
    'Midnight Ritual',
    ['We call the dark to rise tonight', 'We curse the heavens, mock the light', 'Circle of candles, blood on stone', 'The old gods answer us alone'],
    'rejected',
    15,
    ['occult', 'violence'],
  ),
  song(
    'Nothing Matters',
    ['Nothing matters, no one cares', 'I’m done with hope and done with prayers', 'I’ll end it all when the morning comes', 'Goodbye to everyone, I’m done'],
    'rejected',
    20,
    ['despair'],
  ),
  song(
    'Dirty Talk',
    ['Come over here and take it off', 'I want you rough, I want you soft', 'All night long until we’re through', 'I’ll show you what I want to do'],
    'rejected',
    18,
    ['sexual'],
  ),
  song(
    'Gang Oath',
    ['Load it up and ride tonight', 'Someone’s going down, that’s right', 'Pull the trigger, feel the kick', 'Make the rival crew get sick'],
    'rejected',
    12,
    ['violence'],
  ),
  song(
    'Mock the Cross',
    [
      'Your church is empty, your God is dead',
      'I spit on every prayer you said',
      'Your holy book is a pack of lies',
      'I laugh at heaven, I laugh at the skies',
    ],
    'rejected',
    20,
    ['occult'],
  ),
  song(
    'Cursing Storm',
    ['F this and f that, I don’t give a', 'Sh this whole town, I’m out of here', 'Everybody’s a stupid b', 'Get out my way or get hurt, you hear'],
    'rejected',
    15,
    ['profanity', 'violence'],
  ),
  song(
    'High All Day',
    ['Roll it up and light it high', 'Pills and powder, touch the sky', 'Never sober, never down', 'King of every crooked town'],
    'rejected',
    22,
    ['substance'],
  ),
  song(
    'Hate Parade',
    ['Those people over there are trash', 'Drive them out, make them crash', 'We don’t want their kind around', 'Stamp them out into the ground'],
    'rejected',
    10,
    ['other', 'violence'],
  ),
  song(
    'Blood Money',
    ['I took the cash and I took his life', 'Cleaned my hands and I kissed my wife', 'Nobody knows what I did that night', 'Money makes everything alright'],
    'rejected',
    18,
    ['violence', 'other'],
  ),
  song(
    'Seance',
    [
      'Spirits of the dead, come speak to me',
      'Through the board, set your voices free',
      'I give my soul for a secret told',
      'Trade my heart for the devil’s gold',
    ],
    'rejected',
    22,
    ['occult'],
  ),
  song(
    'Hopeless Ending',
    ['The rope, the chair, the final sound', 'There is no hope for me around', 'I wrote my note, I said goodbye', 'Tonight I’m going to die'],
    'rejected',
    8,
    ['despair'],
  ),
];
