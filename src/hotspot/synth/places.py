"""Hand-made geography of the synthetic Avon and Somerset world (EPSG:27700 metres).

Everything here is approximate and hand-made from general knowledge of the area: a coarse force
outline, rough local-authority regions, town centres with a population weight and spread, and
the "deprivation kernels" that put the most deprived synthetic LSOAs where the needs assessment
says the most deprived real ones are. None of it is an official boundary.
"""

from __future__ import annotations

#: Local authorities: (code, name, short name used in LSOA names). Codes are fake (``X06...``).
LA_TABLE = [
    ("X06000001", "Bath and North East Somerset", "Bath and North East Somerset"),
    ("X06000002", "Bristol, City of", "Bristol"),
    ("X06000003", "North Somerset", "North Somerset"),
    ("X06000004", "Somerset", "Somerset"),
    ("X06000005", "South Gloucestershire", "South Gloucestershire"),
]

#: Reference ``local_authorities.csv`` name -> LA name used in the data set.
REF_LA_NAMES = {
    "Bath and North East Somerset": "Bath and North East Somerset",
    "Bristol": "Bristol, City of",
    "North Somerset": "North Somerset",
    "Somerset": "Somerset",
    "South Gloucestershire": "South Gloucestershire",
}

#: Reference policing area (knife table, hotspot places) -> LA name.
AREA_LA = {
    "BaNES": "Bath and North East Somerset",
    "Bristol East": "Bristol, City of",
    "Bristol North and Central": "Bristol, City of",
    "Bristol South": "Bristol, City of",
    "North Somerset": "North Somerset",
    "Somerset West": "Somerset",
    "Somerset East": "Somerset",
    "Somerset": "Somerset",
    "South Glos": "South Gloucestershire",
}

#: Coarse force outline, clockwise from the Devon border on the Exmoor coast.
FORCE_OUTLINE = [
    (279000, 149200), (288000, 147600), (297000, 147000), (302000, 145000), (307000, 143800),
    (313000, 144200), (318000, 144800), (323000, 146000), (327500, 146600), (330000, 149800),
    (329200, 153500), (328800, 158700), (331000, 160500), (331400, 163000), (333000, 165200),
    (336500, 168000), (339600, 171600), (343000, 174500), (346000, 177300), (349500, 178300),
    (351600, 179600), (353300, 183000), (355200, 186500), (358200, 190500), (361000, 194300),
    (364500, 198800), (368500, 200000), (372300, 198500), (375500, 194000), (378600, 189000),
    (380600, 182000), (381400, 176000), (382600, 170500), (380800, 165800), (381500, 160000),
    (379800, 154500), (380300, 149000), (378000, 143500), (376700, 138500), (375600, 132500),
    (374000, 126500), (372300, 121500), (368500, 117300), (363000, 115200), (358600, 113000),
    (354200, 111600), (349000, 109800), (344800, 106600), (339000, 105400), (333800, 105100),
    (329000, 107200), (325500, 110300), (320500, 112200), (316000, 114500), (311500, 117300),
    (305500, 119200), (299500, 120500), (293800, 123500), (288500, 126300), (283000, 128500),
    (277800, 131500), (274200, 135600), (272300, 140300), (272800, 145200), (275500, 148300),
]

#: Bristol, drawn by hand around the real city (Avonmouth to Stockwood).
BRISTOL = [
    (350600, 176300), (351200, 179700), (353500, 181000), (356000, 181000), (359000, 179800),
    (363000, 179500), (363600, 176200), (363500, 172000), (365000, 169000), (362000, 166500),
    (358000, 166000), (354500, 167500), (352300, 170500), (351200, 173600),
]

#: Region polygons (intersected with the outline after Bristol is removed), in priority order.
REGIONS = {
    "South Gloucestershire": [
        (338000, 215000), (395000, 215000), (395000, 171200), (372000, 170800), (366500, 170600),
        (365000, 169000), (363500, 172000), (363000, 179500), (351200, 179700), (347500, 184000),
        (338000, 190000),
    ],
    "Bath and North East Somerset": [
        (354500, 150800), (395000, 150800), (395000, 171200), (354500, 171200),
    ],
    "North Somerset": [
        (300000, 158200), (334000, 157400), (340000, 156200), (346000, 155500), (354500, 155500),
        (354500, 190000), (300000, 190000),
    ],
}

#: Towns and districts: (name, LA, x, y, population weight in thousands, spread in metres).
#: Weight 0 marks a name used only for beats. The weights shape where LSOAs are small.
PLACES = [
    # Bristol
    ("Bristol Central", "Bristol, City of", 358900, 172900, 30, 900),
    ("Clifton", "Bristol, City of", 357200, 173300, 14, 700),
    ("Hotwells", "Bristol, City of", 357400, 172400, 6, 500),
    ("Cotham", "Bristol, City of", 358300, 174100, 12, 600),
    ("Redland", "Bristol, City of", 358200, 174900, 12, 600),
    ("Bishopston", "Bristol, City of", 359000, 175600, 14, 700),
    ("Horfield", "Bristol, City of", 359300, 176800, 14, 700),
    ("Southmead", "Bristol, City of", 358600, 177500, 12, 600),
    ("Henbury", "Bristol, City of", 356100, 178800, 10, 700),
    ("Lawrence Weston", "Bristol, City of", 353400, 178100, 9, 600),
    ("Avonmouth", "Bristol, City of", 351900, 178700, 4, 700),
    ("Shirehampton", "Bristol, City of", 353300, 176900, 7, 600),
    ("Sea Mills", "Bristol, City of", 355200, 176300, 6, 500),
    ("Westbury-on-Trym", "Bristol, City of", 357300, 177100, 10, 700),
    ("Henleaze", "Bristol, City of", 358000, 176300, 8, 500),
    ("Stoke Bishop", "Bristol, City of", 356200, 175500, 7, 600),
    ("Lockleaze", "Bristol, City of", 360700, 176700, 10, 600),
    ("Eastville", "Bristol, City of", 361000, 175100, 11, 600),
    ("Fishponds", "Bristol, City of", 362800, 176100, 14, 700),
    ("St Pauls", "Bristol, City of", 359500, 174000, 10, 500),
    ("St Werburghs", "Bristol, City of", 359900, 174700, 6, 400),
    ("Easton", "Bristol, City of", 360700, 173900, 14, 600),
    ("Lawrence Hill", "Bristol, City of", 360300, 173300, 12, 500),
    ("Barton Hill", "Bristol, City of", 360600, 172800, 7, 500),
    ("Redfield", "Bristol, City of", 361900, 173500, 10, 500),
    ("St George", "Bristol, City of", 362700, 173600, 12, 600),
    ("Hillfields", "Bristol, City of", 363300, 175400, 9, 500),
    ("Brislington", "Bristol, City of", 361800, 170700, 14, 800),
    ("Knowle", "Bristol, City of", 360300, 170700, 11, 600),
    ("Windmill Hill", "Bristol, City of", 359200, 171300, 8, 500),
    ("Southville", "Bristol, City of", 358000, 172000, 9, 500),
    ("Bedminster", "Bristol, City of", 358100, 171200, 12, 600),
    ("Bishopsworth", "Bristol, City of", 356800, 168700, 10, 600),
    ("Withywood", "Bristol, City of", 356600, 167700, 8, 500),
    ("Hartcliffe", "Bristol, City of", 358200, 168100, 11, 600),
    ("Filwood", "Bristol, City of", 359700, 169400, 10, 500),
    ("Knowle West", "Bristol, City of", 359200, 169700, 8, 500),
    ("Hengrove", "Bristol, City of", 360400, 168700, 9, 600),
    ("Whitchurch Park", "Bristol, City of", 360800, 167700, 7, 500),
    ("Stockwood", "Bristol, City of", 362100, 168300, 9, 600),
    ("Bedminster Down", "Bristol, City of", 357300, 169900, 7, 500),
    ("Ashton Vale", "Bristol, City of", 356500, 171100, 4, 500),
    # Bath and North East Somerset
    ("Bath City Centre", "Bath and North East Somerset", 375000, 164800, 12, 600),
    ("Twerton", "Bath and North East Somerset", 372500, 164700, 9, 600),
    ("Southdown", "Bath and North East Somerset", 372900, 163300, 7, 500),
    ("Combe Down", "Bath and North East Somerset", 376100, 162200, 6, 600),
    ("Odd Down", "Bath and North East Somerset", 373800, 162000, 7, 600),
    ("Larkhall", "Bath and North East Somerset", 375900, 166800, 7, 500),
    ("Weston (Bath)", "Bath and North East Somerset", 372800, 166200, 6, 600),
    ("Lansdown", "Bath and North East Somerset", 374500, 166700, 6, 500),
    ("Widcombe", "Bath and North East Somerset", 375600, 164000, 6, 500),
    ("Oldfield Park", "Bath and North East Somerset", 373900, 164400, 9, 500),
    ("Keynsham", "Bath and North East Somerset", 365600, 168600, 16, 900),
    ("Saltford", "Bath and North East Somerset", 368100, 167300, 5, 500),
    ("Peasedown St John", "Bath and North East Somerset", 370300, 157500, 6, 500),
    ("Paulton", "Bath and North East Somerset", 364900, 156500, 5, 500),
    ("Midsomer Norton", "Bath and North East Somerset", 366300, 154000, 12, 800),
    ("Radstock", "Bath and North East Somerset", 369000, 154800, 6, 600),
    ("Chew Magna", "Bath and North East Somerset", 357700, 163100, 2, 600),
    ("Timsbury", "Bath and North East Somerset", 367000, 158500, 3, 500),
    ("Batheaston", "Bath and North East Somerset", 377700, 167500, 3, 500),
    ("Bathampton", "Bath and North East Somerset", 377900, 166200, 0, 500),
    ("Pensford", "Bath and North East Somerset", 361800, 163600, 1, 600),
    # North Somerset
    ("Weston-super-Mare Central", "North Somerset", 331900, 161300, 16, 700),
    ("Bournville", "North Somerset", 332700, 160200, 9, 500),
    ("Worle", "North Somerset", 335200, 162700, 14, 800),
    ("Uphill", "North Somerset", 331900, 158600, 5, 500),
    ("Milton", "North Somerset", 333300, 162300, 8, 500),
    ("Kewstoke", "North Somerset", 333600, 163900, 3, 500),
    ("Locking", "North Somerset", 336400, 159700, 6, 600),
    ("Clevedon", "North Somerset", 340500, 171000, 21, 900),
    ("Portishead", "North Somerset", 346500, 176000, 25, 1000),
    ("Nailsea", "North Somerset", 347000, 170500, 16, 800),
    ("Yatton", "North Somerset", 343000, 165700, 8, 600),
    ("Congresbury", "North Somerset", 343700, 163600, 3, 500),
    ("Backwell", "North Somerset", 349200, 168400, 4, 500),
    ("Long Ashton", "North Somerset", 352800, 169800, 5, 600),
    ("Winscombe", "North Somerset", 342000, 157500, 4, 600),
    ("Banwell", "North Somerset", 339700, 159300, 3, 500),
    ("Churchill", "North Somerset", 344200, 160000, 2, 500),
    ("Pill", "North Somerset", 352500, 175800, 4, 500),
    ("Wrington", "North Somerset", 347000, 162800, 2, 500),
    # South Gloucestershire
    ("Kingswood", "South Gloucestershire", 364800, 173800, 16, 800),
    ("Staple Hill", "South Gloucestershire", 365200, 176200, 10, 600),
    ("Downend", "South Gloucestershire", 365300, 177200, 9, 600),
    ("Emersons Green", "South Gloucestershire", 367300, 176900, 10, 700),
    ("Hanham", "South Gloucestershire", 364200, 171800, 9, 600),
    ("Longwell Green", "South Gloucestershire", 366000, 171200, 7, 600),
    ("Warmley", "South Gloucestershire", 367000, 173200, 7, 600),
    ("Patchway", "South Gloucestershire", 360800, 181700, 11, 700),
    ("Bradley Stoke", "South Gloucestershire", 362000, 181800, 20, 900),
    ("Filton", "South Gloucestershire", 360300, 179300, 11, 600),
    ("Stoke Gifford", "South Gloucestershire", 362400, 180000, 10, 700),
    ("Frenchay", "South Gloucestershire", 363800, 177800, 5, 600),
    ("Winterbourne", "South Gloucestershire", 365000, 180500, 7, 700),
    ("Frampton Cotterell", "South Gloucestershire", 366700, 181800, 6, 600),
    ("Yate", "South Gloucestershire", 371300, 182300, 22, 1000),
    ("Chipping Sodbury", "South Gloucestershire", 372700, 182100, 5, 500),
    ("Thornbury", "South Gloucestershire", 364000, 190000, 12, 800),
    ("Almondsbury", "South Gloucestershire", 360400, 184000, 3, 600),
    ("Pilning", "South Gloucestershire", 355800, 185000, 2, 600),
    ("Severn Beach", "South Gloucestershire", 354300, 184700, 2, 500),
    ("Cribbs Causeway", "South Gloucestershire", 358400, 180700, 3, 500),
    ("Marshfield", "South Gloucestershire", 378000, 173700, 2, 500),
    ("Wickwar", "South Gloucestershire", 372200, 188400, 2, 500),
    ("Charfield", "South Gloucestershire", 372000, 192000, 3, 500),
    ("Pucklechurch", "South Gloucestershire", 369900, 176400, 3, 500),
    ("Cadbury Heath", "South Gloucestershire", 366800, 172300, 6, 500),
    # Somerset
    ("Taunton", "Somerset", 322800, 124600, 45, 1600),
    ("Bridgwater", "Somerset", 329800, 137100, 38, 1500),
    ("Yeovil", "Somerset", 355800, 115900, 44, 1500),
    ("Frome", "Somerset", 377500, 148000, 27, 1100),
    ("Wells", "Somerset", 354800, 145700, 11, 800),
    ("Glastonbury", "Somerset", 350000, 139000, 9, 700),
    ("Street", "Somerset", 348500, 136500, 12, 700),
    ("Shepton Mallet", "Somerset", 362000, 143500, 10, 700),
    ("Burnham-on-Sea", "Somerset", 330700, 149100, 14, 800),
    ("Highbridge", "Somerset", 332100, 147200, 7, 600),
    ("Minehead", "Somerset", 297000, 146000, 12, 900),
    ("Watchet", "Somerset", 307000, 143300, 4, 500),
    ("Williton", "Somerset", 307700, 141100, 3, 500),
    ("Wellington", "Somerset", 314000, 120800, 15, 900),
    ("Chard", "Somerset", 332500, 108800, 13, 800),
    ("Crewkerne", "Somerset", 344000, 109800, 7, 600),
    ("Ilminster", "Somerset", 336000, 114500, 6, 600),
    ("Wincanton", "Somerset", 371000, 128500, 6, 600),
    ("Castle Cary", "Somerset", 364000, 132000, 4, 500),
    ("Somerton", "Somerset", 349000, 128500, 5, 500),
    ("Langport", "Somerset", 342200, 126800, 3, 500),
    ("Martock", "Somerset", 346200, 119200, 5, 500),
    ("South Petherton", "Somerset", 343300, 116700, 3, 500),
    ("Cheddar", "Somerset", 346000, 153500, 6, 600),
    ("Wedmore", "Somerset", 343500, 147900, 3, 600),
    ("Axbridge", "Somerset", 343100, 154600, 2, 400),
    ("Bruton", "Somerset", 368400, 134800, 3, 500),
    ("Milborne Port", "Somerset", 367600, 118700, 3, 500),
    ("North Petherton", "Somerset", 329000, 133000, 7, 600),
    ("Cannington", "Somerset", 325700, 139500, 3, 500),
    ("Wiveliscombe", "Somerset", 308100, 127900, 3, 500),
    ("Dulverton", "Somerset", 291200, 127900, 1, 500),
    ("Porlock", "Somerset", 288600, 146700, 1, 500),
    ("Bishops Lydeard", "Somerset", 316800, 129700, 3, 500),
    ("Norton Fitzwarren", "Somerset", 319500, 125800, 3, 500),
    ("East Coker", "Somerset", 352000, 112800, 2, 500),
    ("Ilchester", "Somerset", 352200, 122600, 2, 500),
    ("Coleford", "Somerset", 368500, 149000, 2, 500),
    ("Nether Stowey", "Somerset", 319100, 139700, 1, 500),
    ("Dunster", "Somerset", 299300, 143600, 1, 400),
    ("Exford", "Somerset", 285400, 138400, 0, 500),
    ("Evercreech", "Somerset", 364900, 138600, 2, 500),
    ("Templecombe", "Somerset", 370700, 122500, 2, 500),
    ("Stoke sub Hamdon", "Somerset", 347400, 117200, 2, 500),
    ("Creech St Michael", "Somerset", 327300, 125500, 3, 500),
    ("Wembdon", "Somerset", 328000, 138000, 0, 500),
    ("Street Somerset Levels", "Somerset", 338000, 131000, 0, 500),
    ("Stogursey", "Somerset", 320300, 142800, 0, 500),
    ("Winsford", "Somerset", 290500, 134900, 0, 500),
    ("Brent Knoll", "Somerset", 333500, 150900, 1, 500),
    ("Chewton Mendip", "Somerset", 359700, 153100, 1, 500),
    ("Mells", "Somerset", 372700, 149200, 1, 500),
    ("Queen Camel", "Somerset", 359700, 124800, 1, 500),
    ("Hatch Beauchamp", "Somerset", 330300, 120300, 1, 500),
    ("Wiveliscombe Hills", "Somerset", 302000, 133000, 0, 500),
]

#: Somerset towns anchoring the two Somerset policing areas (beats take the nearest).
SOMERSET_AREAS = {
    "Somerset West": ["Taunton", "Bridgwater", "Burnham-on-Sea", "Highbridge", "Minehead", "Watchet",
                      "Williton", "Wellington", "North Petherton", "Wiveliscombe", "Dulverton",
                      "Cannington", "Creech St Michael", "Hatch Beauchamp", "Wedmore", "Brent Knoll"],
    "Somerset East": ["Yeovil", "Frome", "Wells", "Glastonbury", "Street", "Shepton Mallet", "Chard",
                      "Crewkerne", "Ilminster", "Wincanton", "Castle Cary", "Somerton", "Martock",
                      "Cheddar", "Bruton", "Langport", "Ilchester", "Coleford", "Axbridge"],
}

#: Deprivation kernels: (x, y, strength, spread m). Positive = more deprived.
DEPRIVATION = [
    (358100, 168000, 3.2, 900),   # Hartcliffe & Withywood
    (356700, 167700, 2.4, 700),   # Withywood
    (359500, 169400, 3.0, 800),   # Filwood / Knowle West / Inns Court
    (360300, 173500, 2.4, 1100),  # Lawrence Hill, Easton, Barton Hill, St Pauls
    (358600, 177500, 1.9, 700),   # Southmead
    (353400, 178100, 2.1, 700),   # Lawrence Weston
    (356100, 178800, 1.3, 700),   # Henbury
    (360700, 176700, 1.5, 700),   # Lockleaze
    (360600, 168200, 1.6, 800),   # Hengrove / Whitchurch Park
    (362100, 168300, 1.0, 600),   # Stockwood
    (358100, 171200, 0.8, 600),   # Bedminster
    (332700, 160200, 3.1, 600),   # Weston Bournville
    (331900, 161300, 1.9, 700),   # Weston-super-Mare central
    (329800, 137500, 1.8, 1300),  # Bridgwater (Sydenham, Hamp)
    (324200, 125000, 1.6, 900),   # Taunton (Halcon, Priorswood)
    (356000, 116500, 1.4, 1100),  # Yeovil
    (372500, 164600, 1.5, 600),   # Twerton
    (365000, 174800, 0.9, 1100),  # Kingswood / Staple Hill
    (369000, 154800, 0.9, 700),   # Radstock
    (332100, 147200, 1.4, 700),   # Highbridge
    (297000, 146000, 1.2, 800),   # Minehead
    (377500, 148000, 0.5, 800),   # Frome
    (350000, 139000, 0.8, 600),   # Glastonbury
    (332500, 108800, 0.8, 700),   # Chard
    (314000, 120800, 0.5, 700),   # Wellington
    (362000, 143500, 0.6, 600),   # Shepton Mallet
    (360800, 181000, 0.5, 800),   # Patchway / Filton
    (357500, 176300, -1.6, 1300),  # Westbury-on-Trym, Henleaze, Stoke Bishop
    (357100, 173400, -1.0, 700),   # Clifton
    (374600, 166600, -0.8, 900),  # Lansdown
    (376100, 162400, -0.6, 900),  # Combe Down
    (346500, 176000, -0.9, 1200),  # Portishead
    (350500, 169300, -0.9, 1800),  # Long Ashton / Backwell
    (362500, 181000, -0.5, 1500),  # Bradley Stoke
]

#: Postcode districts (synthetic assignment by nearest anchor; the districts are real names).
POSTCODE_DISTRICTS = [
    ("BS1", 359000, 172800), ("BS2", 360300, 173500), ("BS3", 357800, 171300), ("BS4", 361000, 170200),
    ("BS5", 361800, 174000), ("BS6", 358400, 174800), ("BS7", 359500, 176300), ("BS8", 357000, 173200),
    ("BS9", 356300, 176800), ("BS10", 357500, 179000), ("BS11", 353300, 177900), ("BS13", 357300, 168200),
    ("BS14", 361000, 167800), ("BS15", 365300, 173600), ("BS16", 364500, 176900), ("BS30", 368000, 172000),
    ("BS31", 365800, 168400), ("BS32", 362500, 182000), ("BS34", 360500, 180400), ("BS35", 363500, 189500),
    ("BS36", 366500, 181000), ("BS37", 371800, 182700), ("BS20", 347200, 175800), ("BS21", 340500, 171000),
    ("BS22", 334800, 162600), ("BS23", 332000, 160900), ("BS24", 335000, 158700), ("BS25", 343200, 159500),
    ("BS26", 343100, 154600), ("BS27", 346200, 153400), ("BS28", 343300, 147500), ("BS29", 339800, 159000),
    ("BS39", 362000, 161000), ("BS40", 352000, 162500), ("BS41", 354300, 169800), ("BS48", 347500, 170000),
    ("BS49", 343300, 165500),
    ("BA1", 374600, 165800), ("BA2", 375300, 162800), ("BA3", 368300, 155000), ("BA4", 362300, 143300),
    ("BA5", 354700, 145900), ("BA6", 350200, 139300), ("BA7", 364200, 132000), ("BA8", 370500, 122800),
    ("BA9", 371300, 128300), ("BA10", 368500, 134800), ("BA11", 377500, 148000), ("BA16", 348500, 136300),
    ("BA20", 355300, 115300), ("BA21", 356400, 117300), ("BA22", 357500, 121500),
    ("TA1", 322500, 124200), ("TA2", 323800, 126600), ("TA3", 327500, 121800), ("TA4", 311800, 131000),
    ("TA5", 323500, 140000), ("TA6", 330000, 137000), ("TA7", 336500, 135300), ("TA8", 330800, 149300),
    ("TA9", 333000, 146800), ("TA10", 341200, 126500), ("TA11", 348500, 129000), ("TA12", 345800, 119300),
    ("TA13", 343200, 116600), ("TA14", 347200, 116800), ("TA15", 348500, 117000), ("TA16", 340000, 112200),
    ("TA17", 336200, 112000), ("TA18", 344100, 109600), ("TA19", 335900, 114800), ("TA20", 332300, 108500),
    ("TA21", 313900, 120600), ("TA22", 291500, 128000), ("TA23", 307500, 141500), ("TA24", 294500, 144500),
]

#: Street-name parts for the synthetic street points ("On or near <name>").
STREET_FIRST = [
    "Church", "Station", "Mill", "Park", "Queen", "King", "Victoria", "Albert", "Manor", "School",
    "Green", "North", "South", "West", "East", "New", "Old", "Chapel", "Bridge", "Orchard", "Meadow",
    "Springfield", "Grove", "Elm", "Oak", "Ash", "Beech", "Hill", "Castle", "Abbey", "Priory",
    "Coronation", "Windsor", "York", "Stanley", "Richmond", "Highfield", "Westfield", "Brook",
    "River", "Tower", "Market", "Union", "Cross", "Marsh", "Moor", "Quarry", "Wharf", "Canal",
    "Rectory", "Vicarage", "Farm", "Garden", "Holly", "Willow", "Cedar", "Laurel", "Primrose",
    "Sunnyside", "Belmont", "Clarence", "Gloucester", "Somerset", "Devonshire", "Cornwall", "Lime",
    "Hazel", "Rowan", "Poplar", "Sycamore", "Hawthorn", "Badger", "Fox", "Kestrel", "Heron",
    "Pound", "Pound Farm", "Court", "Well", "Spring", "Fountain", "Ferry", "Harbour", "Sea",
    "Cliff", "Downs", "Vale", "Combe", "Batch", "Tyning", "Ridge", "Lodge", "Grange", "Paddock",
]
STREET_SECOND = [
    "Road", "Street", "Lane", "Avenue", "Close", "Way", "Drive", "Crescent", "Gardens", "Place",
    "Terrace", "Hill", "Walk", "Court", "Park", "Rise", "View", "Mead", "Row", "Square",
]
#: police.uk-style points of interest used as locations.
POI_NAMES = [
    "Supermarket", "Parking Area", "Petrol Station", "Shopping Area", "Sports/Recreation Area",
    "Further/Higher Educational Building", "Hospital", "Police Station", "Bus/Coach Station",
    "Park/Open Space", "Theatre/Concert Hall", "Pedestrian Subway", "Conference/Exhibition Centre",
]
NTE_POI_NAMES = ["Nightclub", "Shopping Area", "Parking Area", "Bus/Coach Station", "Theatre/Concert Hall"]
