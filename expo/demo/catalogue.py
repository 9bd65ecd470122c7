"""What the H22 City Expo was made of: real venues in Helsingborg, the international networks,
organisations from many countries, the events of the expo and the names of the people who came.

Drawn from the city's own accounts of H22 (Helsingborg, 30 May – 3 July 2022: representatives
of more than 50 countries, around 300 meetings, conferences and talks, the UNECE "H22 +50
Sessions", Viable Cities and its climate contracts, the NetZeroCities Twin Cities programme,
Cleantech Scandinavia, EIT Urban Mobility, STRING, CPMR, Nordregio, Global Utmaning and MIT's
Senseable City Lab). The demo and the large data generator both build from it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from expo.people.models import OrganisationKind as K
from expo.programme.models import SessionKind as S

EXPO_NAME = "H22 City Expo"
EXPO_CITY = "Helsingborg"
EXPO_TIMEZONE = "Europe/Stockholm"
EXPO_DESCRIPTION = (
    "H22 City Expo gathered cities, companies, researchers and residents in Helsingborg from "
    "30 May to 3 July 2022 to explore how we shape the city of the future: climate neutrality "
    "by 2030, mobility and logistics, quality of life and smart, inclusive cities."
)
# Delegates at the demo's real size; event capacities below are set for this many.
DELEGATES = 850
EXPO_FIRST_DAY = date(2022, 5, 30)
EXPO_LAST_DAY = date(2022, 7, 3)
# When the organisers set things up, published the programme and last changed it.
CREATED_AT = datetime(2022, 2, 1, 9, 0, tzinfo=timezone.utc)
PUBLISHED_AT = datetime(2022, 4, 1, 8, 0, tzinfo=timezone.utc)
PROGRAMME_UPDATED_AT = datetime(2022, 5, 20, 12, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class VenueSpec:
    slug: str
    name: str
    address: str
    latitude: float
    longitude: float
    opens: time | None
    closes: time | None
    accessibility: str
    description: str
    rooms: tuple[tuple[str, int], ...]


VENUES: tuple[VenueSpec, ...] = (
    VenueSpec(
        "dunkers-kulturhus", "Dunkers kulturhus", "Kungsgatan 11, 252 21 Helsingborg",
        56.048900, 12.687900, time(8, 0), time(21, 0),
        "Step-free entrance from Kungsgatan; lifts to every floor; hearing loops in the concert "
        "hall and the lecture hall; accessible toilets on every floor.",
        "The culture house by the Öresund, designed by Kim Utzon; the heart of the expo programme.",
        (("Konsertsalen", 450), ("Hörsalen", 120), ("Scen Norr", 80), ("Ateljé 1", 30), ("Ateljé 2", 30)),
    ),
    VenueSpec(
        "helsingborgs-konserthus", "Helsingborgs konserthus", "Drottninggatan 19, 252 21 Helsingborg",
        56.049700, 12.690100, time(8, 0), time(22, 0),
        "Step-free entrance via the ramp on Drottninggatan; wheelchair places in the stalls; "
        "hearing loop in the main hall.",
        "Sven Markelius' functionalist concert hall from 1932, home of Helsingborg's symphony orchestra.",
        (("Stora salen", 850), ("Foajén", 200), ("Studion", 60)),
    ),
    VenueSpec(
        "helsingborg-arena", "Helsingborg Arena", "Hedinsgatan 2, 252 54 Helsingborg",
        56.032600, 12.704700, time(7, 30), time(22, 0),
        "Level access throughout; reserved parking for disabled visitors at the main entrance; "
        "lift to the conference level.",
        "The city's indoor arena, used for the expo's largest plenaries and the mayors' forum.",
        (("Arenan", 2500), ("Konferens A", 150), ("Konferens B", 150), ("Lounge", 90)),
    ),
    VenueSpec(
        "knutpunkten", "Knutpunkten", "Järnvägsgatan 10, 252 24 Helsingborg",
        56.043600, 12.695300, time(7, 0), time(22, 0),
        "Lifts from the platforms and the street; tactile paving to the meeting rooms; "
        "accessible toilets on the ground floor.",
        "Helsingborg's central station and ferry terminal: trains, buses and ferries to Helsingør.",
        (("Terminalhallen", 120), ("Mötesrum Öresund", 40), ("Mötesrum Kattegatt", 24)),
    ),
    VenueSpec(
        "campus-helsingborg", "Campus Helsingborg, Lund University", "Universitetsplatsen 2, 252 25 Helsingborg",
        56.041200, 12.697400, time(8, 0), time(20, 0),
        "Step-free entrance from Universitetsplatsen; lifts; hearing loop in the auditorium; "
        "quiet room on floor 2.",
        "Lund University's campus by the harbour: service management, urban studies and engineering.",
        (("Aulan", 200), ("Sal U201", 90), ("Sal U203", 60), ("Labbet", 30), ("Grupprum 1", 16), ("Grupprum 2", 16)),
    ),
    VenueSpec(
        "helsingborgs-radhus", "Helsingborgs rådhus", "Drottninggatan 2, 252 21 Helsingborg",
        56.046100, 12.693800, time(8, 0), time(18, 0),
        "Entrance with a lift from Södra Storgatan; the council chamber has step-free access and "
        "a hearing loop.",
        "The neo-Gothic town hall from 1897, where the city council meets.",
        (("Festsalen", 200), ("Rådssalen", 110), ("Sammanträdesrummet", 20)),
    ),
    VenueSpec(
        "sofiero", "Sofiero slott och slottspark", "Sofierovägen 131, 251 89 Helsingborg",
        56.084600, 12.660100, time(10, 0), time(18, 0),
        "Gravel paths in the park; wheelchairs to borrow at the entrance; the orangery has "
        "step-free access, the castle's upper floor does not.",
        "The former royal summer residence north of the city, with its famous rhododendron park.",
        (("Slottsmatsalen", 80), ("Orangeriet", 50), ("Parkpaviljongen", 40)),
    ),
    VenueSpec(
        "hamntorget", "Hamntorget", "Hamntorget, 252 21 Helsingborg",
        56.044700, 12.691400, None, None,
        "Open-air square with level paving; seating with back rests in front of the stage.",
        "The harbour square between the ferries and Kärnan: the expo's open stage and meeting point.",
        (("Stora scenen", 600), ("Mötesplatsen", 40)),
    ),
    VenueSpec(
        "oceanhamnen", "Oceanhamnen expo area", "Oceanhamnen, 252 21 Helsingborg",
        56.052300, 12.688000, time(9, 0), time(21, 0),
        "Level boardwalks; temporary pavilions with ramps; accessible toilets at the expo hall.",
        "The new city district on the old harbour, built as the expo's showcase of the future city.",
        (("Expohallen", 400), ("Kajscenen", 150), ("Innovation Lab", 60), ("Paviljong Energi", 40), ("Paviljong Vatten", 40)),
    ),
    VenueSpec(
        "fredriksdal", "Fredriksdal museer och trädgårdar", "Gisela Trapps väg 1, 254 37 Helsingborg",
        56.056600, 12.716500, time(10, 0), time(18, 0),
        "Paved main paths; the barn theatre has step-free access; guide dogs welcome.",
        "Open-air museum and gardens: urban farming, biodiversity and the city's history.",
        (("Teaterladan", 150), ("Växthuset", 30)),
    ),
)


@dataclass(frozen=True)
class NetworkSpec:
    slug: str
    name: str
    acronym: str | None
    website: str
    description: str


NETWORKS: tuple[NetworkSpec, ...] = (
    NetworkSpec("unece", "United Nations Economic Commission for Europe", "UNECE", "https://unece.org",
                "The UN's regional commission for Europe, North America and Central Asia; works with "
                "cities on smart, sustainable and inclusive urban development and the SDGs."),
    NetworkSpec("eit-urban-mobility", "EIT Urban Mobility", None, "https://www.eiturbanmobility.eu",
                "An initiative of the European Institute of Innovation and Technology that brings "
                "cities, companies and universities together for more liveable urban spaces."),
    NetworkSpec("cleantech-scandinavia", "Cleantech Scandinavia", None, "https://www.cleantechscandinavia.com",
                "Network of cleantech start-ups, investors and corporations in the Nordic countries."),
    NetworkSpec("cpmr", "Conference of Peripheral and Maritime Regions", "CPMR", "https://cpmr.org",
                "Some 150 regions from 24 countries; Region Skåne's EU-policy network for cohesion, "
                "maritime affairs and climate."),
    NetworkSpec("string", "STRING Network", "STRING", "https://stringnetwork.org",
                "A political partnership of cities and regions along the Hamburg–Copenhagen–Oslo "
                "corridor for green growth."),
    NetworkSpec("viable-cities", "Viable Cities", None, "https://viablecities.se",
                "Sweden's strategic innovation programme for climate-neutral cities by 2030 with a "
                "good life for all; hosted by KTH, funded by Vinnova, the Swedish Energy Agency and Formas."),
    NetworkSpec("netzerocities", "NetZeroCities", None, "https://netzerocities.eu",
                "The platform of the EU Mission for 100 climate-neutral and smart cities by 2030, "
                "with pilot cities and the Twin Cities programme."),
    NetworkSpec("nordregio", "Nordregio", None, "https://nordregio.org",
                "The Nordic Council of Ministers' research centre for regional development and planning."),
    NetworkSpec("global-utmaning", "Global Utmaning", None, "https://www.globalutmaning.se",
                "Independent Swedish think tank for sustainable development and Agenda 2030."),
    NetworkSpec("mit-senseable-city-lab", "MIT Senseable City Lab", None, "https://senseable.mit.edu",
                "Research lab at the Massachusetts Institute of Technology studying cities through "
                "data; works with Helsingborg on perceived safety."),
    NetworkSpec("icapital-alumni", "European Capital of Innovation Alumni Network", "iCapital",
                "https://eic.ec.europa.eu",
                "Finalists and winners of the European Commission's iCapital award, relaunched in "
                "Helsingborg during the first week of H22."),
)

# (name, kind, ISO country code)
ORGANISATIONS: tuple[tuple[str, K, str], ...] = (
    ("Helsingborgs stad", K.CITY, "SE"), ("Eskilstuna kommun", K.CITY, "SE"), ("Luleå kommun", K.CITY, "SE"),
    ("Umeå kommun", K.CITY, "SE"), ("Malmö stad", K.CITY, "SE"), ("Lunds kommun", K.CITY, "SE"),
    ("Stockholms stad", K.CITY, "SE"), ("Göteborgs Stad", K.CITY, "SE"), ("Uppsala kommun", K.CITY, "SE"),
    ("Växjö kommun", K.CITY, "SE"), ("Region Skåne", K.REGION, "SE"), ("Västra Götalandsregionen", K.REGION, "SE"),
    ("Öresundskraft", K.COMPANY, "SE"), ("NSR Nordvästra Skånes Renhållning", K.COMPANY, "SE"),
    ("Helsingborgshem", K.COMPANY, "SE"), ("Sweco", K.COMPANY, "SE"), ("Skanska", K.COMPANY, "SE"),
    ("Vattenfall", K.COMPANY, "SE"), ("Einride", K.COMPANY, "SE"), ("Ericsson", K.COMPANY, "SE"),
    ("IKEA", K.COMPANY, "SE"), ("Lund University", K.UNIVERSITY, "SE"), ("KTH Royal Institute of Technology", K.UNIVERSITY, "SE"),
    ("Chalmers University of Technology", K.UNIVERSITY, "SE"), ("Vinnova", K.GOVERNMENT, "SE"),
    ("Swedish Energy Agency", K.GOVERNMENT, "SE"), ("Formas", K.GOVERNMENT, "SE"), ("Boverket", K.GOVERNMENT, "SE"),
    ("Global Utmaning", K.NGO, "SE"), ("Viable Cities", K.NGO, "SE"), ("Nordregio", K.INTERNATIONAL, "SE"),
    ("Cleantech Scandinavia", K.NGO, "SE"), ("WWF Sweden", K.NGO, "SE"),
    ("Københavns Kommune", K.CITY, "DK"), ("Helsingør Kommune", K.CITY, "DK"), ("Aarhus Kommune", K.CITY, "DK"),
    ("Region Hovedstaden", K.REGION, "DK"), ("Ramboll", K.COMPANY, "DK"), ("COWI", K.COMPANY, "DK"),
    ("Technical University of Denmark", K.UNIVERSITY, "DK"), ("Nordic Council of Ministers", K.INTERNATIONAL, "DK"),
    ("STRING Network", K.INTERNATIONAL, "DK"),
    ("Oslo kommune", K.CITY, "NO"), ("Viken fylkeskommune", K.REGION, "NO"), ("Statkraft", K.COMPANY, "NO"),
    ("Espoo", K.CITY, "FI"), ("Tampere", K.CITY, "FI"), ("Aalto University", K.UNIVERSITY, "FI"),
    ("Reykjavíkurborg", K.CITY, "IS"), ("Tallinn", K.CITY, "EE"), ("Rīgas pilsēta", K.CITY, "LV"),
    ("Vilniaus miesto savivaldybė", K.CITY, "LT"), ("Miasto Gdańsk", K.CITY, "PL"), ("Miasto Kraków", K.CITY, "PL"),
    ("Freie und Hansestadt Hamburg", K.CITY, "DE"), ("Stadt Heidelberg", K.CITY, "DE"), ("Siemens", K.COMPANY, "DE"),
    ("ICLEI Europe", K.NGO, "DE"), ("Gemeente Rotterdam", K.CITY, "NL"), ("Gemeente Amsterdam", K.CITY, "NL"),
    ("TU Delft", K.UNIVERSITY, "NL"), ("EIT Climate-KIC", K.INTERNATIONAL, "NL"),
    ("Stad Leuven", K.CITY, "BE"), ("Eurocities", K.NGO, "BE"), ("European Commission", K.INTERNATIONAL, "BE"),
    ("Ville de Luxembourg", K.CITY, "LU"), ("Ville de Nantes", K.CITY, "FR"), ("Région Bretagne", K.REGION, "FR"),
    ("Veolia", K.COMPANY, "FR"), ("CPMR", K.INTERNATIONAL, "FR"), ("OECD", K.INTERNATIONAL, "FR"),
    ("Energy Cities", K.NGO, "FR"), ("Ajuntament de Barcelona", K.CITY, "ES"), ("Ajuntament de València", K.CITY, "ES"),
    ("EIT Urban Mobility", K.INTERNATIONAL, "ES"), ("Câmara Municipal de Lisboa", K.CITY, "PT"),
    ("Comune di Milano", K.CITY, "IT"), ("Comune di Bologna", K.CITY, "IT"), ("Politecnico di Torino", K.UNIVERSITY, "IT"),
    ("Valletta Local Council", K.CITY, "MT"), ("Municipality of Athens", K.CITY, "GR"), ("Municipality of Nicosia", K.CITY, "CY"),
    ("Stadt Wien", K.CITY, "AT"), ("UNECE", K.INTERNATIONAL, "CH"), ("ETH Zürich", K.UNIVERSITY, "CH"),
    ("Statutární město Brno", K.CITY, "CZ"), ("Hlavné mesto Bratislava", K.CITY, "SK"), ("Budapest Főváros", K.CITY, "HU"),
    ("Mestna občina Ljubljana", K.CITY, "SI"), ("Grad Zagreb", K.CITY, "HR"), ("City of Belgrade", K.CITY, "RS"),
    ("City of Sarajevo", K.CITY, "BA"), ("Glavni grad Podgorica", K.CITY, "ME"), ("City of Skopje", K.CITY, "MK"),
    ("Bashkia Tiranë", K.CITY, "AL"), ("Stolichna obshtina Sofia", K.CITY, "BG"), ("Primăria Municipiului București", K.CITY, "RO"),
    ("Primăria Municipiului Chișinău", K.CITY, "MD"), ("Kyiv City State Administration", K.CITY, "UA"),
    ("Tbilisi City Hall", K.CITY, "GE"), ("Yerevan Municipality", K.CITY, "AM"), ("Baku City Executive Power", K.CITY, "AZ"),
    ("Akimat of Almaty", K.CITY, "KZ"), ("Tashkent City Khokimiyat", K.CITY, "UZ"), ("Bishkek City Hall", K.CITY, "KG"),
    ("İzmir Büyükşehir Belediyesi", K.CITY, "TR"), ("Dublin City Council", K.CITY, "IE"), ("Glasgow City Council", K.CITY, "GB"),
    ("Arup", K.COMPANY, "GB"), ("C40 Cities", K.NGO, "GB"), ("City of Boston", K.CITY, "US"),
    ("MIT Senseable City Lab", K.UNIVERSITY, "US"), ("World Resources Institute", K.NGO, "US"),
    ("City of Toronto", K.CITY, "CA"), ("Gobierno de la Ciudad de México", K.CITY, "MX"), ("Prefeitura de Curitiba", K.CITY, "BR"),
    ("Alcaldía de Medellín", K.CITY, "CO"), ("Municipalidad de Santiago", K.CITY, "CL"), ("Ciudad de Buenos Aires", K.CITY, "AR"),
    ("UN-Habitat", K.INTERNATIONAL, "KE"), ("Nairobi City County", K.CITY, "KE"), ("City of Kigali", K.CITY, "RW"),
    ("City of Cape Town", K.CITY, "ZA"), ("Lagos State Government", K.GOVERNMENT, "NG"), ("Accra Metropolitan Assembly", K.CITY, "GH"),
    ("Cairo Governorate", K.GOVERNMENT, "EG"), ("Commune de Rabat", K.CITY, "MA"), ("Pune Municipal Corporation", K.CITY, "IN"),
    ("Centre for Liveable Cities", K.GOVERNMENT, "SG"), ("City of Yokohama", K.CITY, "JP"), ("Seoul Metropolitan Government", K.CITY, "KR"),
    ("Tongji University", K.UNIVERSITY, "CN"), ("City of Melbourne", K.CITY, "AU"), ("Wellington City Council", K.CITY, "NZ"),
    ("Tel Aviv-Yafo Municipality", K.CITY, "IL"), ("Dubai Municipality", K.CITY, "AE"),
)

# Name pools: (female first names, male first names, surnames[, male surnames if they differ]).
NAME_POOLS: dict[str, tuple[tuple[str, ...], ...]] = {
    "sv": (("Anna", "Karin", "Sara", "Maria", "Elin", "Sofia", "Lina", "Ida", "Maja", "Emma", "Helena", "Frida"),
           ("Erik", "Lars", "Johan", "Anders", "Mikael", "Henrik", "Oskar", "Fredrik", "Gustav", "Jonas", "Per", "Magnus"),
           ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
            "Lindberg", "Lindqvist", "Bergström", "Holm", "Sandberg", "Nyström", "Wallin", "Lundgren", "Hedlund")),
    "da": (("Mette", "Camilla", "Louise", "Sofie", "Line", "Ida"), ("Søren", "Rasmus", "Mads", "Jesper", "Anders", "Mikkel"),
           ("Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Sørensen", "Rasmussen")),
    "no": (("Ingrid", "Kari", "Silje", "Marte", "Ragnhild"), ("Ola", "Magnus", "Håkon", "Eirik", "Sindre"),
           ("Hansen", "Johansen", "Olsen", "Berg", "Haugen", "Bakken", "Solberg", "Dahl")),
    "fi": (("Aino", "Laura", "Emilia", "Sanna", "Tiina"), ("Juha", "Mikko", "Antti", "Ville", "Jussi"),
           ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Heikkinen", "Laine", "Koskinen", "Järvinen")),
    "is": (("Guðrún", "Sigríður", "Katrín"), ("Jón", "Ólafur", "Gunnar"),
           ("Jónsdóttir", "Magnúsdóttir", "Ólafsdóttir"), ("Sigurðsson", "Guðmundsson", "Jónsson")),
    "et": (("Kadri", "Mari", "Liis", "Triin"), ("Tiit", "Andres", "Rein", "Margus"), ("Tamm", "Saar", "Sepp", "Mägi", "Kask")),
    "lv": (("Ilze", "Līga", "Inese"), ("Jānis", "Andris", "Māris"), ("Bērziņa", "Kalniņa", "Ozola"), ("Bērziņš", "Kalniņš", "Ozols")),
    "lt": (("Rūta", "Eglė", "Ieva"), ("Tomas", "Mindaugas", "Darius"), ("Kazlauskienė", "Petrauskienė"), ("Kazlauskas", "Petrauskas", "Jankauskas")),
    "pl": (("Anna", "Katarzyna", "Magdalena", "Agnieszka"), ("Piotr", "Tomasz", "Paweł", "Michał"),
           ("Kowalska", "Nowak", "Wiśniewska", "Zielińska"), ("Kowalski", "Nowak", "Wiśniewski", "Zieliński")),
    "de": (("Laura", "Julia", "Katharina", "Sabine", "Lena"), ("Thomas", "Stefan", "Jonas", "Matthias", "Felix"),
           ("Müller", "Schmidt", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Schulz")),
    "nl": (("Sanne", "Lotte", "Eva", "Femke"), ("Daan", "Bram", "Pieter", "Joost"),
           ("de Jong", "Jansen", "de Vries", "Bakker", "Visser", "Peeters", "Maes")),
    "fr": (("Camille", "Claire", "Léa", "Sophie", "Amélie"), ("Julien", "Nicolas", "Thomas", "Pierre", "Antoine"),
           ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefèvre", "Girard")),
    "es": (("Lucía", "María", "Carmen", "Paula", "Valentina"), ("Javier", "Carlos", "Pablo", "Diego", "Andrés"),
           ("García", "Martínez", "López", "Sánchez", "Fernández", "Rodríguez", "Gómez")),
    "pt": (("Ana", "Beatriz", "Inês", "Mariana"), ("João", "Pedro", "Tiago", "Rafael"), ("Silva", "Santos", "Ferreira", "Costa", "Oliveira")),
    "it": (("Giulia", "Francesca", "Chiara", "Elena"), ("Marco", "Luca", "Andrea", "Matteo"),
           ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Borg", "Camilleri")),
    "el": (("Maria", "Eleni", "Katerina"), ("Giorgos", "Nikos", "Dimitris"),
           ("Papadopoulou", "Georgiou", "Christodoulou"), ("Papadopoulos", "Georgiou", "Christodoulou")),
    "cs": (("Petra", "Lucie", "Zuzana"), ("Jan", "Martin", "Tomáš"), ("Nováková", "Svobodová", "Horváthová"), ("Novák", "Svoboda", "Horváth")),
    "hu": (("Eszter", "Katalin", "Anna"), ("Gábor", "László", "Péter"), ("Nagy", "Kovács", "Tóth", "Szabó")),
    "yu": (("Ana", "Maja", "Jelena", "Ivana"), ("Marko", "Nikola", "Luka", "Aleksandar"),
           ("Novak", "Horvat", "Jovanović", "Petrović", "Hodžić", "Kovačević", "Stojanovski")),
    "sq": (("Elira", "Arta"), ("Arben", "Erion"), ("Hoxha", "Shehu", "Krasniqi")),
    "bg": (("Maria", "Elena", "Desislava"), ("Georgi", "Ivan", "Dimitar"), ("Ivanova", "Petrova", "Georgieva"), ("Ivanov", "Petrov", "Georgiev")),
    "ro": (("Ioana", "Andreea", "Elena"), ("Andrei", "Mihai", "Alexandru"), ("Popescu", "Ionescu", "Rusu", "Ciobanu")),
    "uk": (("Olena", "Iryna", "Kateryna"), ("Andriy", "Oleksandr", "Dmytro"),
           ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko")),
    "ka": (("Nino", "Tamar", "Mariam"), ("Giorgi", "Levan", "Davit"), ("Beridze", "Kapanadze", "Gelashvili")),
    "hy": (("Anahit", "Lilit"), ("Aram", "Tigran"), ("Grigoryan", "Hakobyan", "Sargsyan")),
    "az": (("Leyla", "Aysel"), ("Elvin", "Rashad"), ("Aliyeva", "Mammadova"), ("Aliyev", "Mammadov")),
    "ca": (("Aigerim", "Dilnoza", "Aizada"), ("Nurlan", "Bekzod", "Azamat"),
           ("Nurlanova", "Karimova", "Abdyldaeva"), ("Nurlanov", "Karimov", "Abdyldaev")),
    "tr": (("Elif", "Zeynep", "Ayşe"), ("Mehmet", "Emre", "Can"), ("Yılmaz", "Kaya", "Demir", "Şahin")),
    "en": (("Sarah", "Emily", "Olivia", "Grace", "Hannah", "Rachel", "Aoife"), ("James", "Daniel", "Michael", "David", "Liam", "Ciarán"),
           ("Smith", "Brown", "Taylor", "Wilson", "Murphy", "Campbell", "Walsh", "Thompson", "Clarke", "Nguyen")),
    "ea": (("Wanjiru", "Achieng", "Uwase"), ("Otieno", "Kamau", "Mugisha"), ("Mwangi", "Odhiambo", "Niyonzima", "Ndlovu", "Dlamini")),
    "wa": (("Ngozi", "Ama", "Chiamaka"), ("Kwame", "Chinedu", "Tunde"), ("Okafor", "Mensah", "Adeyemi", "Boateng")),
    "ar": (("Amira", "Leila", "Yasmin", "Salma"), ("Omar", "Karim", "Youssef", "Ahmed"), ("Haddad", "El Amrani", "Hassan", "Mansour", "Al Nuaimi")),
    "hi": (("Priya", "Ananya", "Kavya"), ("Arjun", "Rohan", "Vikram"), ("Sharma", "Patel", "Deshpande", "Kulkarni")),
    "sg": (("Wei Ling", "Siti", "Priya"), ("Jun Jie", "Hafiz", "Ravi"), ("Tan", "Lim", "Ng", "Rahman")),
    "ja": (("Yuki", "Haruka", "Aiko"), ("Kenji", "Takeshi", "Hiroshi"), ("Sato", "Suzuki", "Takahashi", "Tanaka")),
    "ko": (("Ji-woo", "Seo-yeon", "Min-ji"), ("Min-jun", "Ji-ho", "Hyun-woo"), ("Kim", "Lee", "Park", "Choi")),
    "zh": (("Li Na", "Wang Fang", "Zhang Min"), ("Wang Wei", "Li Qiang", "Chen Jie"), ("Wang", "Li", "Zhang", "Liu")),
    "he": (("Noa", "Tamar", "Yael"), ("Yosef", "Itai", "Daniel"), ("Cohen", "Levi", "Mizrahi")),
    "la": (("Camila", "Gabriela", "Daniela"), ("Mateo", "Santiago", "Felipe"), ("González", "Pérez", "Rojas", "Muñoz", "Oliveira")),
}

COUNTRY_POOLS: dict[str, str] = {
    "SE": "sv", "DK": "da", "NO": "no", "FI": "fi", "IS": "is", "EE": "et", "LV": "lv", "LT": "lt",
    "PL": "pl", "DE": "de", "AT": "de", "CH": "de", "LU": "fr", "NL": "nl", "BE": "nl", "FR": "fr",
    "ES": "es", "PT": "pt", "IT": "it", "MT": "it", "GR": "el", "CY": "el", "CZ": "cs", "SK": "cs",
    "HU": "hu", "SI": "yu", "HR": "yu", "RS": "yu", "BA": "yu", "ME": "yu", "MK": "yu", "AL": "sq",
    "BG": "bg", "RO": "ro", "MD": "ro", "UA": "uk", "GE": "ka", "AM": "hy", "AZ": "az", "KZ": "ca",
    "UZ": "ca", "KG": "ca", "TR": "tr", "IE": "en", "GB": "en", "US": "en", "CA": "en", "AU": "en",
    "NZ": "en", "ZA": "ea", "KE": "ea", "RW": "ea", "NG": "wa", "GH": "wa", "EG": "ar", "MA": "ar",
    "AE": "ar", "IN": "hi", "SG": "sg", "JP": "ja", "KR": "ko", "CN": "zh", "IL": "he", "MX": "la",
    "BR": "la", "CO": "la", "CL": "la", "AR": "la",
}

# How many delegates each country sends, relative to the others (1 where not listed).
COUNTRY_WEIGHTS: dict[str, float] = {
    "SE": 30, "DK": 8, "NO": 5, "FI": 4, "DE": 4, "NL": 3, "BE": 3, "FR": 3, "ES": 2, "GB": 2,
    "PL": 2, "EE": 2, "LV": 1.5, "LT": 1.5, "IT": 2, "CH": 2, "US": 2,
}


@dataclass(frozen=True)
class Person:
    """Someone the city's own texts name, with their organisation."""

    name: str
    organisation: str
    country: str
    email: str
    networks: tuple[str, ...] = ()


# Rooms that are outdoor places or meeting points for going out: where site visits start.
OUTDOOR_ROOMS = frozenset({"Kajscenen", "Parkpaviljongen", "Mötesplatsen"})

PEOPLE: tuple[Person, ...] = (
    Person("Peter Danielsson", "Helsingborgs stad", "SE", "peter.danielsson@helsingborg.h22.example", ("string",)),
    Person("Henrik Frindberg", "Helsingborgs stad", "SE", "henrik.frindberg@helsingborg.h22.example"),
    Person("Gulnara Roll", "UNECE", "CH", "gulnara.roll@unece.h22.example", ("unece",)),
    Person("Carlo Ratti", "MIT Senseable City Lab", "US", "carlo.ratti@mit.h22.example", ("mit-senseable-city-lab",)),
    Person("Jimmy Jansson", "Eskilstuna kommun", "SE", "jimmy.jansson@eskilstuna.h22.example", ("viable-cities",)),
    Person("Kristina Birath", "Eskilstuna kommun", "SE", "kristina.birath@eskilstuna.h22.example", ("viable-cities",)),
    Person("Sophie Forsberg Johansson", "Luleå kommun", "SE", "sophie.forsberg.johansson@lulea.h22.example",
           ("viable-cities",)),
)


@dataclass(frozen=True)
class Featured:
    """A session the texts tell of, with the people named in it (speakers first, then host)."""

    title: str
    kind: S
    language: str
    speakers: tuple[str, ...] = ()
    host: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class EventSpec:
    slug: str
    name: str
    description: str
    starts_on: date
    ends_on: date
    registration_mode: str
    share: int  # sessions of the event among ~300
    tracks: tuple[tuple[str, str], ...]
    networks: tuple[str, ...]
    topics: tuple[str, ...]
    kinds: tuple[tuple[S, int], ...]
    capacity: int | None = None
    published: bool = True
    featured: tuple[Featured, ...] = field(default=())


_ALL_KINDS = ((S.TALK, 30), (S.PANEL, 20), (S.WORKSHOP, 18), (S.SITE_VISIT, 10), (S.DIGITAL, 10), (S.HYBRID, 12))

EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        "h22-city-expo-programme", "H22 City Expo – Open Programme",
        "Five weeks of talks, panels, workshops and site visits across Helsingborg on how we shape "
        "the city of the future.",
        EXPO_FIRST_DAY, EXPO_LAST_DAY, "open", 173,
        (("Climate-neutral city", "#1d5b79"), ("Mobility and logistics", "#6a3d9a"),
         ("Quality of life", "#2e7d32"), ("Smart and inclusive city", "#b23a48"),
         ("Circular economy", "#b35c00"), ("Public space and culture", "#00796b")),
        ("global-utmaning", "cleantech-scandinavia", "eit-urban-mobility", "viable-cities", "string", "icapital-alumni"),
        ("climate neutrality by 2030", "fossil-free logistics", "mobility hubs", "micromobility",
         "autonomous shuttles", "circular construction", "district heating", "urban heat islands",
         "nature-based solutions", "quality of life indicators", "inclusive public spaces",
         "energy communities", "water and sewage innovation", "urban food systems",
         "public procurement for innovation", "smart grids", "electric ferries across the Öresund",
         "cross-border commuting", "the 15-minute city", "digital twins of the city",
         "citizen dialogue", "housing for all generations", "green bonds for cities", "biodiversity in dense cities"),
        _ALL_KINDS,
        featured=(
            Featured("Launch of the Helsingborg Declaration: Europe's most sustainable logistics hub",
                     S.PANEL, "en", ("Peter Danielsson",), None,
                     "The city and business launch a shared aim: Helsingborg as Europe's most "
                     "sustainable and fast-moving logistics hub."),
            Featured("Helsingborg in the EU Mission for 100 climate-neutral and smart cities",
                     S.TALK, "en", ("Henrik Frindberg",), None,
                     "What the Mission brings the city and its companies, and why Helsingborg now "
                     "aims for climate neutrality by 2030."),
            Featured("Livskvalitetsprogrammet: så mäter Helsingborg livskvalitet", S.TALK, "sv", ("Henrik Frindberg",)),
            Featured("Greentime: certifying a sustainable expo", S.WORKSHOP, "en"),
        ),
    ),
    EventSpec(
        "h22-50-sessions", "UNECE H22 +50 Sessions",
        "Two days on smart, sustainable and inclusive cities: UNECE and the City of Helsingborg "
        "invite the world's cities to work locally on the Sustainable Development Goals.",
        date(2022, 6, 1), date(2022, 6, 2), "approval", 26,
        (("Localising the SDGs", "#00689d"), ("Voluntary Local Reviews", "#19486a"),
         ("Smart sustainable cities", "#3f7e44")),
        ("unece", "global-utmaning", "nordregio"),
        ("the Voluntary Local Review", "localising Agenda 2030", "people-smart sustainable cities",
         "affordable housing", "city-to-city learning", "SDG indicators for cities",
         "the High-Level Political Forum", "quality of life and public health"),
        ((S.TALK, 35), (S.PANEL, 35), (S.WORKSHOP, 15), (S.HYBRID, 15)),
        capacity=400,
        featured=(
            Featured("Opening: cities have the power to act on the Global Goals", S.TALK, "en",
                     ("Gulnara Roll", "Peter Danielsson")),
            Featured("Helsingborg's Voluntary Local Review: sharing local solutions for Agenda 2030",
                     S.PANEL, "en", ("Henrik Frindberg", "Gulnara Roll")),
            Featured("Quality of life at the centre: public health and environmental sustainability",
                     S.WORKSHOP, "en", ("Henrik Frindberg",)),
        ),
    ),
    EventSpec(
        "icapital-alumni-relaunch", "European Capital of Innovation Alumni Network Relaunch",
        "The finalists of the European Capital of Innovation Awards meet in Helsingborg, runner-up "
        "in 2020, to relaunch the European Commission's iCapital alumni network.",
        date(2022, 6, 2), date(2022, 6, 3), "open", 10,
        (("Innovation ecosystems", "#5b3a8c"), ("Alumni network", "#1d5b79")),
        ("icapital-alumni",),
        ("city innovation ecosystems", "experimentation in the public sector", "innovation procurement",
         "scaling pilots across Europe"),
        ((S.TALK, 30), (S.PANEL, 40), (S.WORKSHOP, 30)),
    ),
    EventSpec(
        "european-viable-cities-day", "European Viable Cities Day",
        "Swedish municipalities, national agencies and the EU meet around Climate City Contracts "
        "2030 and the climate investment plans of the EU Mission.",
        date(2022, 6, 8), date(2022, 6, 8), "approval", 16,
        (("Climate City Contracts", "#2e7d32"), ("Climate investment plans", "#1b5e20")),
        ("viable-cities", "netzerocities"),
        ("Climate City Contract 2030", "climate investment plans", "new models of governance",
         "citizen engagement in the climate transition", "national agencies and cities together"),
        ((S.TALK, 30), (S.PANEL, 35), (S.WORKSHOP, 25), (S.HYBRID, 10)),
        capacity=250,
        featured=(
            Featured("Signing ceremony: Climate City Contract 2030 with 23 Swedish municipalities",
                     S.PANEL, "sv", ("Jimmy Jansson", "Peter Danielsson")),
            Featured("Eskilstuna: a contract that commits, guides and supports", S.TALK, "sv",
                     ("Jimmy Jansson", "Kristina Birath")),
            Featured("Tillsammans för klimatneutrala städer", S.WORKSHOP, "sv",
                     ("Sophie Forsberg Johansson",), None,
                     "Luleå and Viable Cities invite municipalities to understand the challenges of "
                     "the green transition and to join forces."),
        ),
    ),
    EventSpec(
        "netzerocities-twin-cities", "NetZeroCities Twin Cities Workshops",
        "Pilot cities of the EU Mission are matched with twin cities that share their challenges: "
        "workshops, digital meetings and site visits in three modules.",
        date(2022, 6, 14), date(2022, 6, 15), "open", 20,
        (("Getting started", "#0277bd"), ("Co-creation", "#00838f"), ("Capitalisation", "#2e7d32")),
        ("netzerocities", "viable-cities"),
        ("matching twin cities", "replication plans", "phasing out fossil fuels", "waste and circularity",
         "energy in buildings", "the NetZeroCities portal"),
        ((S.WORKSHOP, 45), (S.DIGITAL, 25), (S.SITE_VISIT, 20), (S.HYBRID, 10)),
    ),
    EventSpec(
        "cleantech-innovation-day", "Cleantech Scandinavia Innovation Day",
        "Nordic cleantech start-ups pitch to cities, investors and utilities.",
        date(2022, 6, 16), date(2022, 6, 16), "open", 14,
        (("Pitches", "#b35c00"), ("Investors", "#6d4c41")),
        ("cleantech-scandinavia",),
        ("battery recycling", "green hydrogen", "heat pumps at city scale", "water purification",
         "investing in climate start-ups"),
        ((S.TALK, 45), (S.PANEL, 30), (S.SITE_VISIT, 25)),
    ),
    EventSpec(
        "eit-urban-mobility-day", "EIT Urban Mobility Innovation Day",
        "Cities and mobility companies on liveable streets, shared mobility and clean logistics.",
        date(2022, 6, 21), date(2022, 6, 21), "open", 14,
        (("Micromobility", "#6a3d9a"), ("City logistics", "#4527a0"), ("Public transport", "#283593")),
        ("eit-urban-mobility",),
        ("e-scooter regulation", "zero-emission delivery zones", "mobility as a service",
         "electric buses", "car-free city centres"),
        ((S.TALK, 35), (S.PANEL, 25), (S.WORKSHOP, 20), (S.SITE_VISIT, 20)),
    ),
    EventSpec(
        "regions-green-north", "Regions for a Green North: CPMR, STRING and Nordregio",
        "Region Skåne's EU-policy networks and Nordregio on cohesion, cross-border regions and the "
        "green transition around the Baltic and the North Sea.",
        date(2022, 6, 22), date(2022, 6, 23), "open", 12,
        (("Cohesion policy", "#37474f"), ("Cross-border regions", "#00695c")),
        ("cpmr", "string", "nordregio"),
        ("cohesion policy after 2027", "the Fehmarnbelt corridor", "maritime regions and climate",
         "Nordic regional statistics", "green industrial transition in the north"),
        ((S.TALK, 35), (S.PANEL, 35), (S.DIGITAL, 15), (S.HYBRID, 15)),
    ),
    EventSpec(
        "senseable-safe-city", "Perceived Safety Workshops with MIT Senseable City Lab",
        "MIT's Senseable City Lab and the City of Helsingborg explore data-driven ways to make the "
        "city feel safer.",
        date(2022, 6, 28), date(2022, 6, 29), "open", 8,
        (("Data and safety", "#b23a48"),),
        ("mit-senseable-city-lab",),
        ("perceived safety from social media data", "lighting and safety", "open data on public space"),
        ((S.WORKSHOP, 60), (S.TALK, 25), (S.HYBRID, 15)),
        capacity=60,
        featured=(
            Featured("Reading the city's perceived safety in data", S.TALK, "en", ("Carlo Ratti",)),
        ),
    ),
    EventSpec(
        "agenda-2030-local-review-lab", "Agenda 2030 Local Review Lab",
        "Global Utmaning and Swedish cities plan the next Voluntary Local Reviews (programme in preparation).",
        date(2022, 7, 1), date(2022, 7, 1), "open", 7,
        (("Local reviews", "#19486a"),),
        ("global-utmaning", "unece"),
        ("writing a Voluntary Local Review", "indicators that cities can use", "involving residents"),
        ((S.WORKSHOP, 60), (S.PANEL, 40)),
        published=False,
    ),
)

ANCHOR_EVENT_SLUG = EVENTS[0].slug

SWEDISH_TOPICS = (
    "Klimatkontrakt 2030 i praktiken", "Hållbar logistik i Helsingborg", "Framtidens stadsdelar",
    "Trygghet i staden", "Cirkulärt byggande", "Energieffektiva bostäder", "Grön omställning i kommunerna",
    "Medborgardialog om klimatet", "Fossilfri kollektivtrafik", "Stadsodling och biologisk mångfald",
)

TITLE_PATTERNS: dict[S, tuple[str, ...]] = {
    S.TALK: ("{Topic}: lessons from {city}", "Keynote: {topic}", "How {city} works with {topic}",
             "{Topic} – what we have learnt so far"),
    S.PANEL: ("Panel: {topic} – who pays?", "Mayors' panel on {topic}", "Debate: is {topic} fast enough?",
              "Panel: {topic} across borders"),
    S.WORKSHOP: ("Workshop: co-creating {topic}", "Hands-on: a toolkit for {topic}",
                 "Workshop: {topic} in your city", "Design sprint: {topic}"),
    S.SITE_VISIT: ("Site visit: Oceanhamnen's new district", "Site visit: Öresundskraft's district heating plant",
                   "Site visit: NSR's recycling centre at Filborna", "Site visit: the renewal of Drottninghög",
                   "Site visit: Knutpunkten mobility hub", "Guided walk: climate adaptation at Sofiero",
                   "Site visit: the electric ferries to Helsingør", "Site visit: urban farming at Fredriksdal",
                   "Site visit: {topic} in practice", "Bike tour: {topic} in Helsingborg"),
    S.DIGITAL: ("Webinar: {topic}", "Online meet-up: {topic}", "Digital round table: {topic}"),
    S.HYBRID: ("Hybrid session: {topic}", "{Topic} – on site and online", "Open forum: {topic}"),
}

DURATIONS: dict[S, tuple[int, ...]] = {
    S.TALK: (30, 45, 45, 60),
    S.PANEL: (60, 75, 90),
    S.WORKSHOP: (90, 120, 120, 180),
    S.SITE_VISIT: (90, 120, 150),
    S.DIGITAL: (45, 60, 90),
    S.HYBRID: (60, 90),
}

DIETARY_NEEDS = ("Vegetarian", "Vegan", "Gluten-free", "Lactose-free", "Halal", "Nut allergy")
ACCESSIBILITY_NEEDS = ("Wheelchair user: step-free access please", "Hearing loop", "Sign language interpretation",
                       "Seat near the exit", "Large-print material")

PATTERN_CITIES = (
    "Helsingborg", "Eskilstuna", "Luleå", "Umeå", "Copenhagen", "Oslo", "Espoo", "Tallinn", "Hamburg",
    "Rotterdam", "Leuven", "Barcelona", "Lisbon", "Milan", "Vienna", "Ljubljana", "Tbilisi", "Almaty",
    "Medellín", "Kigali", "Seoul", "Melbourne",
)

SWEDISH_PREFIXES: dict[S, str] = {
    S.TALK: "", S.PANEL: "Panelsamtal: ", S.WORKSHOP: "Workshop: ", S.SITE_VISIT: "Studiebesök: ",
    S.DIGITAL: "Webbinarium: ", S.HYBRID: "Hybridmöte: ",
}

DESCRIPTIONS: dict[S, str] = {
    S.TALK: "A talk on {topic}, with examples from {city} and Helsingborg.",
    S.PANEL: "Cities, companies and researchers discuss {topic}: what works, what it costs and who leads.",
    S.WORKSHOP: "Bring your own challenge: in small groups we work on {topic} and leave with next steps.",
    S.SITE_VISIT: "We meet at the venue and go out to see {topic} in practice. Comfortable shoes recommended.",
    S.DIGITAL: "An online meeting on {topic}; the link is on the session page for everyone who books.",
    S.HYBRID: "On site and streamed online: {topic}, with questions from both rooms.",
}

# The demo's memorable accounts: (role, e-mail, name, organisation, country); the organiser
# is an expo administrator.
DEMO_PASSWORD = "h22-city-expo"
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("organiser", "organiser@h22.example", "Emma Lindgren", "Helsingborgs stad", "SE"),
    ("staff", "staff@h22.example", "Johan Berg", "Helsingborgs stad", "SE"),
    ("delegate", "delegate@h22.example", "Laura Fischer", "Freie und Hansestadt Hamburg", "DE"),
)
# The UNECE event's team: (team role, e-mail, name, organisation, country, event slug). Their
# own role across the expo is delegate; the team gives them the UNECE event only.
DEMO_TEAM_ACCOUNTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("organiser", "unece.team@h22.example", "Ivana Petrović", "UNECE", "CH", "h22-50-sessions"),
    ("staff", "unece.door@h22.example", "Marc Dubois", "UNECE", "CH", "h22-50-sessions"),
)
# The demo delegate's registrations: approved for three events, waiting for one approval.
DEMO_DELEGATE_EVENTS = {
    "h22-city-expo-programme": "approved",
    "h22-50-sessions": "approved",
    "european-viable-cities-day": "pending",
    "netzerocities-twin-cities": "approved",
}
